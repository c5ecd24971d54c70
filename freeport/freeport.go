// Package freeport picks loopback ports for processes a harness starts later: the
// bench's served process, the tests' brokers and nodes.
//
// A port the kernel hands out (127.0.0.1:0) comes from Linux's ephemeral range
// (32768–60999) and is free only until some client connection takes it as its own
// end: the restore drill's broker, started a minute after its port was chosen, once
// found it taken under CI's load ("bind: address already in use", 2026-12-07). A
// port below that range is only ever taken by a listener, which the probe here sees.
package freeport

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
)

// The range ports are drawn from: below the ephemeral range and above the 2543x of
// the local PostgreSQL clusters (deploy/postgres.sh, the Makefile).
const (
	lowest = 26000
	count  = 6000 // 26000–31999
)

// Port returns a loopback port nothing listens on now.
func Port() (int, error) {
	for range 100 {
		port := lowest + rand.IntN(count)
		if l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			l.Close()
			return port, nil
		}
	}
	return 0, errors.New("freeport: no free loopback port below the ephemeral range after 100 tries")
}

// Addr is Port as a loopback address (127.0.0.1:PORT).
func Addr() (string, error) {
	port, err := Port()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("127.0.0.1:%d", port), nil
}
