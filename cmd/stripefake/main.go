// Command stripefake serves the fake Stripe API on a port, for clients in
// any language (stripe-node, stripe-python, stripe-ruby, curl) and for
// docker-compose or CI jobs that would otherwise run stripe-mock.
//
//	go run github.com/stripefake/stripefake/cmd/stripefake -db stripe.db
//
// It serves the API and the control API (/_stripefake/advance, now,
// requests, events, reset, faults) on -addr, and on -tls-addr over HTTPS
// with a self-signed certificate made at start. With -db the state, the
// pending work and the clock survive a restart. It logs one line per
// request and, on SIGINT or SIGTERM, stops serving and closes the store.
package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "stripefake:", err)
		}
		os.Exit(2)
	}
}

type options struct {
	addr, tlsAddr, db, startTime, apiVersion, baseURL string
	seed                                              uint64
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("stripefake", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:12111", "`address` to serve HTTP on; empty for none")
	fs.StringVar(&o.tlsAddr, "tls-addr", "", "`address` to serve HTTPS on with a self-signed certificate, e.g. 127.0.0.1:12112")
	fs.StringVar(&o.db, "db", "", "bbolt file `path` that keeps state, pending work and the clock across restarts; default in memory")
	fs.Uint64Var(&o.seed, "seed", 0, "seed of the IDs handed out")
	fs.StringVar(&o.startTime, "start-time", "", "RFC 3339 `time` the clock starts at on a new store (on a reopened one it may only move the clock forward); default now")
	fs.StringVar(&o.apiVersion, "api-version", "", "Stripe API `version` for requests that name none")
	fs.StringVar(&o.baseURL, "base-url", "", "`URL` the links the fake renders start with; default the address served")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.addr == "" && o.tlsAddr == "" {
		return o, errors.New("nothing to serve: -addr and -tls-addr are both empty")
	}
	return o, nil
}

// run serves until ctx is done, then shuts down and closes the store.
func run(ctx context.Context, args []string, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	logger := log.New(stderr, "stripefake: ", log.LstdFlags|log.LUTC)

	var opts []fake.Option
	if o.startTime != "" {
		t, err := time.Parse(time.RFC3339, o.startTime)
		if err != nil {
			return fmt.Errorf("-start-time: %w", err)
		}
		opts = append(opts, fake.WithStartTime(t))
	}
	if o.apiVersion != "" {
		opts = append(opts, fake.WithAPIVersion(o.apiVersion)) // Start refuses a malformed one
	}
	opts = append(opts, fake.WithSeed(o.seed))

	// Listen first: the links the fake renders name the address it got.
	var ln, tlsLn net.Listener
	var tlsConfig *tls.Config
	if o.addr != "" {
		if ln, err = net.Listen("tcp", o.addr); err != nil {
			return err
		}
		defer ln.Close()
	}
	if o.tlsAddr != "" {
		cert, err := selfSignedCert(o.tlsAddr)
		if err != nil {
			return err
		}
		if tlsLn, err = net.Listen("tcp", o.tlsAddr); err != nil {
			return err
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		defer tlsLn.Close()
	}
	base := o.baseURL
	switch {
	case base != "":
	case ln != nil:
		base = "http://" + linkHost(ln.Addr())
	default:
		base = "https://" + linkHost(tlsLn.Addr())
	}
	opts = append(opts, fake.WithBaseURL(base))

	where := "in memory"
	if o.db != "" {
		s, err := store.OpenBolt(o.db)
		if err != nil {
			return err
		}
		opts = append(opts, fake.WithStore(s))
		where = "in " + o.db
	}
	f, err := fake.Start(opts...) // closes the store on error
	if err != nil {
		return err
	}
	defer func() {
		if err := f.Close(); err != nil {
			logger.Printf("closing: %v", err)
		}
	}()

	h := logRequests(logger, f.Handler())
	// ServeTLS offers HTTP/2 as well as HTTP/1.1 (ALPN), as Stripe and
	// stripe-mock do; stripe-go's own test suite insists on HTTP/2.
	srv := &http.Server{Handler: h, ErrorLog: logger, ReadHeaderTimeout: 10 * time.Second, TLSConfig: tlsConfig}
	errc := make(chan error, 2)
	if ln != nil {
		go func() { errc <- srv.Serve(ln) }()
	}
	if tlsLn != nil {
		go func() { errc <- srv.ServeTLS(tlsLn, "", "") }()
	}
	if ln != nil {
		logger.Printf("serving http://%s", ln.Addr())
	}
	if tlsLn != nil {
		logger.Printf("serving https://%s (self-signed certificate)", tlsLn.Addr())
	}
	logger.Printf("state %s; clock at %s; links start %s", where, f.Now().UTC().Format(time.RFC3339), base)

	select {
	case <-ctx.Done():
		logger.Printf("shutting down")
	case err := <-errc:
		return err
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	return nil
}

// linkHost is the host:port links should use: an unspecified listen
// address (0.0.0.0, [::]) is reached as localhost.
func linkHost(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// logRequests logs one line per request once it is answered: method, path,
// status, request ID.
func logRequests(logger *log.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: "200"}
		defer func() {
			line := r.Method + " " + r.URL.RequestURI() + " " + sw.status
			if id := sw.Header().Get("Request-Id"); id != "" {
				line += " " + id
			}
			logger.Print(line)
		}()
		next.ServeHTTP(sw, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status string
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = strconv.Itoa(code)
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (the fake's
// read deadline on request bodies, flushes).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Hijack hands over the connection, for faults that drop it.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.status = "dropped"
	return http.NewResponseController(w.ResponseWriter).Hijack()
}
