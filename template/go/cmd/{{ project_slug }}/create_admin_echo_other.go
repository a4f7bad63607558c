//go:build !linux && !darwin

package main

import "os"

// echoOff is not available on this system: the password comes from ADMIN_PASSWORD.
func echoOff(*os.File) (func(), error) { return nil, errNoTerminal }
