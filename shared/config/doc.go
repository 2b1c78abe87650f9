// Package config reads a function's settings once, at start, from the variables its main
// hands over (os.Getenv there; a map in tests), and collects every missing or malformed one,
// so a function's Validate names them all in one error. No other runtime package reads the
// environment.
package config
