package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// errNoTerminal means there is no one to ask for a password without showing it: stdin is not a
// terminal (a pipe, a CI job, a container without -t), or echo cannot be turned off here.
var errNoTerminal = errors.New("stdin is not a terminal that can hide what is typed")

// passwordReader asks for a password after prompt; errNoTerminal when it cannot ask.
type passwordReader func(prompt string) (string, error)

// terminalPassword asks on in, a terminal, with echo off while the password is typed; prompts go
// to out.
func terminalPassword(in *os.File, out io.Writer) passwordReader {
	return func(prompt string) (string, error) {
		restore, err := echoOff(in)
		if err != nil {
			return "", err
		}
		fmt.Fprint(out, prompt)
		// A terminal in canonical mode hands over one line per read, so nothing past the line is
		// consumed by this reader.
		line, err := bufio.NewReader(in).ReadString('\n')
		restore()
		fmt.Fprintln(out) // the newline the user typed was not echoed
		if err != nil && (!errors.Is(err, io.EOF) || line == "") {
			return "", fmt.Errorf("read password: %w", err)
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
}
