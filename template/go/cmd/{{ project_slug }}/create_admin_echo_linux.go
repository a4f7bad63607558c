package main

import "syscall"

// The ioctl requests that read and set a terminal's attributes.
const (
	getTermios = syscall.TCGETS
	setTermios = syscall.TCSETS
)
