//go:build linux || darwin

package main

import (
	"errors"
	"os"
	"syscall"
	"unsafe"
)

// echoOff turns off the echo of the terminal f until restore is called: errNoTerminal when f is
// not a terminal. The standard library has no call for it (golang.org/x/term wraps the same
// ioctl), so the service does without a dependency.
func echoOff(f *os.File) (restore func(), err error) {
	fd := f.Fd()
	var saved syscall.Termios
	if err := ioctl(fd, getTermios, &saved); err != nil {
		if errors.Is(err, syscall.ENOTTY) || errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENODEV) {
			return nil, errNoTerminal
		}
		return nil, err
	}
	quiet := saved
	quiet.Lflag &^= syscall.ECHO
	quiet.Lflag |= syscall.ICANON | syscall.ISIG
	if err := ioctl(fd, setTermios, &quiet); err != nil {
		return nil, err
	}
	return func() { _ = ioctl(fd, setTermios, &saved) }, nil
}

func ioctl(fd, request uintptr, t *syscall.Termios) error {
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, fd, request, uintptr(unsafe.Pointer(t))); errno != 0 {
		return errno
	}
	return nil
}
