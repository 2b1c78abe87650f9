package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/wedsync/webhooks/shared/store"
)

// applyTries is how many times a request applies its change to a freshly read item before
// it gives up on an item that keeps changing under it.
const applyTries = 5

// reapply runs change, which reads an item, applies the request to it and writes it, once
// more from a fresh read each time the write loses to a concurrent one (store.ErrConflict);
// try counts from 0. It answers 409 CONFLICT when every try lost, and turns any other store
// error into its answer.
func (s *Server) reapply(ctx context.Context, change func(try int) error) error {
	for try := range applyTries {
		err := change(try)
		if !errors.Is(err, store.ErrConflict) {
			var answer *Error
			if err == nil || errors.As(err, &answer) {
				return err
			}
			return s.fail(ctx, err)
		}
	}
	return newError(ctx, http.StatusConflict, "the resource kept changing while this request was applied; try again")
}
