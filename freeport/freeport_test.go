package freeport

import (
	"net"
	"testing"
)

// A port is below the ephemeral range, above the local PostgreSQL clusters', and free.
func TestPortIsFreeAndBelowTheEphemeralRange(t *testing.T) {
	for range 20 {
		port, err := Port()
		if err != nil {
			t.Fatal(err)
		}
		if port < 26000 || port >= 32768 {
			t.Fatalf("port %d outside 26000–32767", port)
		}
		addr, err := Addr()
		if err != nil {
			t.Fatal(err)
		}
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("%s is not free: %v", addr, err)
		}
		l.Close()
	}
}
