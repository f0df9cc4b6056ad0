package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
)

var ctx = context.Background()

// binary is the command built once for every test that runs it.
var binary struct {
	once sync.Once
	path string
	err  error
}

func build(t *testing.T) string {
	t.Helper()
	binary.once.Do(func() {
		dir, err := os.MkdirTemp("", "stripefake-bin")
		if err != nil {
			binary.err = err
			return
		}
		binary.path = filepath.Join(dir, "stripefake")
		out, err := exec.Command("go", "build", "-o", binary.path, ".").CombinedOutput()
		if err != nil {
			binary.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binary.err != nil {
		t.Fatal(binary.err)
	}
	return binary.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binary.path != "" {
		os.RemoveAll(filepath.Dir(binary.path))
	}
	os.Exit(code)
}

// server is a running stripefake process.
type server struct {
	t     *testing.T
	cmd   *exec.Cmd
	lines chan string // stderr, line by line
	mu    sync.Mutex
	log   []string
	url   string // http or https base URL
	done  chan error
}

// start runs the binary with args and waits for it to say where it serves.
func start(t *testing.T, args ...string) *server {
	t.Helper()
	cmd := exec.Command(build(t), args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, cmd: cmd, lines: make(chan string, 1024), done: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			s.mu.Lock()
			s.log = append(s.log, sc.Text())
			s.mu.Unlock()
			select {
			case s.lines <- sc.Text():
			default:
			}
		}
		close(s.lines)
		s.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	})
	for line := range s.lines {
		if _, rest, ok := strings.Cut(line, " serving "); ok {
			s.url, _, _ = strings.Cut(rest, " ")
		}
		if strings.Contains(line, " state ") {
			return s
		}
	}
	t.Fatalf("stripefake exited before serving:\n%s", s.output())
	return nil
}

func (s *server) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.log, "\n")
}

// stop sends SIGTERM and waits for a clean exit.
func (s *server) stop() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.t.Fatal(err)
	}
	go func() {
		for range s.lines {
		}
	}()
	if err := <-s.done; err != nil {
		s.t.Fatalf("stripefake did not exit cleanly: %v\n%s", err, s.output())
	}
	if out := s.output(); !strings.Contains(out, "shutting down") {
		s.t.Errorf("no shutdown line:\n%s", out)
	}
}

func (s *server) client(httpClient *http.Client) *stripe.Client {
	return stripe.NewClient("sk_test_cmd", stripe.WithBackends(stripe.NewBackendsWithConfig(&stripe.BackendConfig{
		URL: stripe.String(s.url), HTTPClient: httpClient,
		MaxNetworkRetries: stripe.Int64(0), LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull},
	})))
}

// control calls the control API and decodes its JSON answer into out.
func (s *server) control(method, path, body string, out any) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.url+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.SetBasicAuth("sk_test_cmd", "")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		s.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		s.t.Fatal(err)
	}
}

type clock struct{ Now int64 }

func invoiceCount(t *testing.T, sc *stripe.Client, sub string) int {
	t.Helper()
	n := 0
	for _, err := range sc.V1Invoices.List(ctx, &stripe.InvoiceListParams{Subscription: stripe.String(sub)}).All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	return n
}

// The binary serves stripe-go over a real socket; time moves through the
// control API; state, the clock and a pending renewal survive a restart on
// the same -db, and the renewal runs exactly once.
func TestServeAndRestart(t *testing.T) {
	db := filepath.Join(t.TempDir(), "stripe.db")
	startAt := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
	args := []string{"-addr", "127.0.0.1:0", "-db", db, "-start-time", startAt.Format(time.RFC3339)}
	s := start(t, args...)
	sc := s.client(nil)
	cu, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{
		Email: stripe.String("ada@example.com"), PaymentMethod: stripe.String("pm_card_visa"),
		InvoiceSettings: &stripe.CustomerCreateInvoiceSettingsParams{DefaultPaymentMethod: stripe.String("pm_card_visa")},
	})
	if err != nil {
		t.Fatal(err)
	}
	pr, err := sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{
		Currency: stripe.String("usd"), UnitAmount: stripe.Int64(1500),
		Recurring:   &stripe.PriceCreateRecurringParams{Interval: stripe.String("month")},
		ProductData: &stripe.PriceCreateProductDataParams{Name: stripe.String("Pro")},
	})
	if err != nil {
		t.Fatal(err)
	}
	params := &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: []*stripe.SubscriptionCreateItemParams{{Price: stripe.String(pr.ID)}}}
	params.AddExpand("latest_invoice")
	sub, err := sc.V1Subscriptions.Create(ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	if sub.Status != "active" || !strings.HasPrefix(sub.LatestInvoice.HostedInvoiceURL, s.url+"/_stripefake/") {
		t.Errorf("subscription %s, hosted invoice at %q (want under %s)", sub.Status, sub.LatestInvoice.HostedInvoiceURL, s.url)
	}
	var now clock
	s.control("POST", "/_stripefake/advance", "duration=480h", &now) // Feb 4
	if want := startAt.Add(480 * time.Hour).Unix(); now.Now != want {
		t.Fatalf("advanced to %d, want %d", now.Now, want)
	}
	s.stop()
	if out := s.output(); !strings.Contains(out, "POST /v1/customers 200 req_") || !strings.Contains(out, "POST /_stripefake/advance 200") {
		t.Errorf("no request log lines:\n%s", out)
	}

	// Same flags: -start-time applies to a new store only.
	s = start(t, args...)
	sc = s.client(nil)
	s.control("GET", "/_stripefake/now", "", &now)
	if want := startAt.Add(480 * time.Hour).Unix(); now.Now != want {
		t.Fatalf("restarted at %d, want %d", now.Now, want)
	}
	got, err := sc.V1Customers.Retrieve(ctx, cu.ID, nil)
	if err != nil || got.Email != "ada@example.com" {
		t.Fatalf("customer after restart: %v %+v", err, got)
	}
	if n := invoiceCount(t, sc, sub.ID); n != 1 {
		t.Fatalf("%d invoices before the renewal", n)
	}
	s.control("POST", "/_stripefake/advance", "duration=288h", &now) // Feb 16: past the Feb 15 renewal
	if n := invoiceCount(t, sc, sub.ID); n != 2 {
		t.Fatalf("%d invoices after the renewal, want 2", n)
	}
	s.stop()

	s = start(t, "-addr", "127.0.0.1:0", "-db", db)
	sc = s.client(nil)
	if n := invoiceCount(t, sc, sub.ID); n != 2 {
		t.Errorf("%d invoices after a second restart, want 2", n)
	}
	var evs struct{ Data []struct{ Type string } }
	s.control("GET", "/_stripefake/events?type=invoice.paid", "", &evs)
	if len(evs.Data) != 2 {
		t.Errorf("%d invoice.paid events, want 2", len(evs.Data))
	}
	s.stop()
}

// -tls-addr serves HTTPS with a self-signed certificate.
func TestServeTLS(t *testing.T) {
	s := start(t, "-addr", "", "-tls-addr", "127.0.0.1:0")
	if !strings.HasPrefix(s.url, "https://") {
		t.Fatalf("serving %q", s.url)
	}
	insecure := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	sc := s.client(insecure)
	cu, err := sc.V1Customers.Create(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sc.V1Customers.Retrieve(ctx, cu.ID, nil); err != nil {
		t.Fatal(err)
	}
	// HTTP/2 is offered, as stripe-mock does (stripe-go's own test suite
	// requires it).
	h2 := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, ForceAttemptHTTP2: true}}
	resp, err := h2.Get(s.url + "/v1/customers/" + cu.ID)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.ProtoMajor != 2 || resp.StatusCode != 401 {
		t.Errorf("%s %d, want HTTP/2 401 (no key)", resp.Proto, resp.StatusCode)
	}
	// Without trusting the certificate, the handshake fails.
	if _, err := http.Get(s.url + "/v1/customers"); err == nil {
		t.Error("a client that does not skip verification connected")
	}
	s.stop()
}

func TestFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-start-time", "yesterday"},
		{"-addr", "", "-tls-addr", ""},
		{"extra"},
	} {
		if err := run(ctx, args, io.Discard); err == nil {
			t.Errorf("run %q: no error", args)
		}
	}
}

// clientResult is what the stripe-node and stripe-python scripts in
// testdata report.
type clientResult struct {
	Idempotent              bool
	TrialStatus, AfterTrial string
	PaidInvoices            int
	ErrorType, ErrorCode    string
	ErrorStatus             int
	Webhooks                []string
}

// runClient runs a script in testdata against a fresh binary and decodes its
// report.
func runClient(t *testing.T, env []string, interpreter, script string) clientResult {
	t.Helper()
	s := start(t, "-addr", "127.0.0.1:0", "-start-time", "2026-01-15T12:00:00Z")
	path, err := filepath.Abs(filepath.Join("testdata", script))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(interpreter, path)
	cmd.Env = append(env, "STRIPEFAKE_URL="+s.url)
	out, err := cmd.Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("%s: %v\n%s\nserver log:\n%s", script, err, msg, s.output())
	}
	var got clientResult
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	s.stop()
	return got
}

// checkClient checks a client's report: the trial ends into a paid
// renewal, a reused idempotency key replays, a missing object is the SDK's
// 404 error, and every webhook's signature verified.
func checkClient(t *testing.T, got clientResult, errorType string) {
	t.Helper()
	if !got.Idempotent || got.TrialStatus != "trialing" || got.AfterTrial != "active" || got.PaidInvoices != 1 {
		t.Errorf("lifecycle: %+v", got)
	}
	if got.ErrorType != errorType || got.ErrorStatus != 404 || got.ErrorCode != "resource_missing" {
		t.Errorf("error: %+v", got)
	}
	if strings.Join(got.Webhooks, ",") != "customer.subscription.created,invoice.paid,invoice.paid" {
		t.Errorf("signed webhooks received: %q", got.Webhooks)
	}
}

// stripe-node drives the binary with no client-side change but its
// host, port and protocol. It runs where node is on PATH and the npm stripe
// package is found: in STRIPEFAKE_NODE_MODULES (a node_modules folder;
// .ci/run installs one) or on node's own search path.
func TestStripeNode(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH")
	}
	env := os.Environ()
	if dir := os.Getenv("STRIPEFAKE_NODE_MODULES"); dir != "" {
		env = append(env, "NODE_PATH="+dir)
	}
	probe := exec.Command(node, "-e", "require.resolve('stripe')")
	probe.Env = env
	if err := probe.Run(); err != nil {
		t.Skip("the npm stripe package is not installed; set STRIPEFAKE_NODE_MODULES to a node_modules folder holding it")
	}
	checkClient(t, runClient(t, env, node, "stripe_node.js"), "StripeInvalidRequestError")
}

// stripe-python drives the binary through api_base. It runs where a
// python3 (STRIPEFAKE_PYTHON, else python3 on PATH) imports stripe; on
// Debian, apt-get install python3-stripe (.ci/run does).
func TestStripePython(t *testing.T) {
	python := os.Getenv("STRIPEFAKE_PYTHON")
	if python == "" {
		python = "python3"
	}
	python, err := exec.LookPath(python)
	if err != nil {
		t.Skip("python3 is not on PATH")
	}
	if err := exec.Command(python, "-c", "import stripe").Run(); err != nil {
		t.Skip("the stripe Python package is not installed (apt-get install python3-stripe); STRIPEFAKE_PYTHON names the interpreter")
	}
	checkClient(t, runClient(t, os.Environ(), python, "stripe_python.py"), "InvalidRequestError")
}
