package platform

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"time"

	"github.com/shandong-emergency/chemguard/config"
)

// servePprof serves Go's profiler on addr (CHEMGUARD_PPROF_ADDR) until ctx ends. It
// is off by default and only ever on loopback: a profile shows the process's code
// paths and memory, and a CPU profile costs the process while it runs, so it is for
// an operator on the machine measuring a load (chemguard bench --profile), not for
// the network.
func servePprof(ctx context.Context, addr string) error {
	ln, err := pprofListener(addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			slog.Error("pprof: server stopped", "err", err)
		}
	}()
	slog.Info("pprof: profiling endpoint on loopback", "addr", ln.Addr().String())
	return nil
}

// pprofListener listens on addr, which must be a loopback address.
func pprofListener(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, config.Invalid("CHEMGUARD_PPROF_ADDR", err)
	}
	ip, err := netip.ParseAddr(host)
	if host == "localhost" {
		ip, err = netip.MustParseAddr("127.0.0.1"), nil
	}
	if err != nil || !ip.IsLoopback() {
		return nil, config.Invalid("CHEMGUARD_PPROF_ADDR", fmt.Errorf("%q is not a loopback address (127.0.0.1:PORT or [::1]:PORT)", addr))
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, config.Invalid("CHEMGUARD_PPROF_ADDR", err)
	}
	return ln, nil
}
