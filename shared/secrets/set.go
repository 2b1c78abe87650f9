package secrets

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Overlap is how long a replaced secret keeps working after a rotation.
const Overlap = 24 * time.Hour

// MaxSecrets bounds a set: the current secret and at most MaxSecrets-1 replaced ones still
// in their overlap. Rotating again within the overlap of the oldest drops it at once, so a
// verifier never tries more than MaxSecrets secrets and a burst of rotations cannot grow the
// sealed item.
const MaxSecrets = 3

// Value is one secret of a set; Until, when set, is when it stops being valid.
type Value struct {
	Secret string    `json:"secret"`
	Until  time.Time `json:"until,omitzero"`
}

// Set is every secret of one resource, newest first. It is sealed as one value, so opening
// a resource's secrets costs one KMS call however many there are.
type Set []Value

// Rotate returns the set with next first and the current secrets valid for Overlap more;
// beyond MaxSecrets, the oldest are dropped.
func (s Set) Rotate(next string, now time.Time) Set {
	out := Set{{Secret: next}}
	for _, v := range s.Active(now) {
		if len(out) == MaxSecrets {
			break
		}
		until := now.Add(Overlap)
		if !v.Until.IsZero() && v.Until.Before(until) {
			until = v.Until
		}
		out = append(out, Value{Secret: v.Secret, Until: until})
	}
	return out
}

// Active returns the values still valid at now.
func (s Set) Active(now time.Time) Set {
	var out Set
	for _, v := range s {
		if v.Until.IsZero() || now.Before(v.Until) {
			out = append(out, v)
		}
	}
	return out
}

// Secrets lists the secrets valid at now, newest first.
func (s Set) Secrets(now time.Time) []string {
	var out []string
	for _, v := range s.Active(now) {
		out = append(out, v.Secret)
	}
	return out
}

// SealSet seals a set for storage.
func SealSet(ctx context.Context, sealer Sealer, scope Scope, set Set) (string, error) {
	b, err := json.Marshal(set)
	if err != nil {
		return "", err
	}
	return sealer.Seal(ctx, scope, string(b))
}

// OpenSet opens a sealed set.
func OpenSet(ctx context.Context, sealer Sealer, scope Scope, sealed string) (Set, error) {
	plain, err := sealer.Open(ctx, scope, sealed)
	if err != nil {
		return nil, err
	}
	var set Set
	if err := json.Unmarshal([]byte(plain), &set); err != nil {
		return nil, fmt.Errorf("open secrets of %s: %w", scope.ResourceID, ErrUnsealable)
	}
	return set, nil
}
