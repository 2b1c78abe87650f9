package stack

import (
	"fmt"
	"slices"
	"strings"
)

// LogLevels are the application log levels Lambda accepts.
var LogLevels = []string{"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"}

// DefaultLogLevel is a function's application log level unless the context says otherwise.
const DefaultLogLevel = "INFO"

// LogLevel is function's level in levels: its own, else "*", else DefaultLogLevel.
func LogLevel(levels map[string]string, function string) string {
	if l, ok := levels[function]; ok {
		return l
	}
	if l, ok := levels["*"]; ok {
		return l
	}
	return DefaultLogLevel
}

// ParseLogLevels reads the logLevel context parameter: one level for every function
// ("DEBUG"), or "deliver=DEBUG,*=WARN"; levels in any case. functions are the names a
// function=level pair may use.
func ParseLogLevels(v string, functions []string) (map[string]string, error) {
	out := map[string]string{}
	if strings.TrimSpace(v) == "" {
		return out, nil
	}
	for _, pair := range strings.Split(v, ",") {
		name, level, ok := strings.Cut(pair, "=")
		if !ok {
			name, level = "*", pair
		}
		name, level = strings.TrimSpace(name), strings.ToUpper(strings.TrimSpace(level))
		if !slices.Contains(LogLevels, level) {
			return nil, fmt.Errorf("%q: the level is not one of %v", pair, LogLevels)
		}
		if name != "*" && !slices.Contains(functions, name) {
			return nil, fmt.Errorf("%q: no function %q", pair, name)
		}
		out[name] = level
	}
	return out, nil
}
