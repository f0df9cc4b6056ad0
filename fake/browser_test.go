//go:build unix

package fake_test

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/internal/testfake"
)

// The hosted pages in a real browser: Debian's chromium, headless, driven
// over the DevTools protocol with a small websocket client (stdlib only).
// The test is skipped when no chromium is on PATH; CI installs it with
//
//	apt-get update && apt-get install -y chromium

// TestBrowserPortalAndCheckout opens the customer portal and a Checkout
// page, fills and clicks their forms, and follows the redirects to the
// merchant's site.
func TestBrowserPortalAndCheckout(t *testing.T) {
	b := startBrowser(t)
	f, sc := testfake.New(t, testfake.Memory)

	merchant := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><body><h1 id="merchant">Merchant %s</h1></body></html>`, r.URL.Path)
	}))
	t.Cleanup(merchant.Close)

	// A subscriber and a portal that lets them change quantity and cancel.
	cu, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{
		Email: stripe.String("ada@example.com"), PaymentMethod: stripe.String("pm_card_visa"),
		InvoiceSettings: &stripe.CustomerCreateInvoiceSettingsParams{DefaultPaymentMethod: stripe.String("pm_card_visa")},
	})
	if err != nil {
		t.Fatal(err)
	}
	pr, err := sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{
		Currency: stripe.String("usd"), UnitAmount: stripe.Int64(1200),
		Recurring:   &stripe.PriceCreateRecurringParams{Interval: stripe.String("month")},
		ProductData: &stripe.PriceCreateProductDataParams{Name: stripe.String("Pro")},
	})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := sc.V1Subscriptions.Create(ctx, &stripe.SubscriptionCreateParams{
		Customer: stripe.String(cu.ID), Items: []*stripe.SubscriptionCreateItemParams{{Price: stripe.String(pr.ID), Quantity: stripe.Int64(1)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := sc.V1BillingPortalConfigurations.Create(ctx, &stripe.BillingPortalConfigurationCreateParams{
		Features: &stripe.BillingPortalConfigurationCreateFeaturesParams{
			InvoiceHistory:     &stripe.BillingPortalConfigurationCreateFeaturesInvoiceHistoryParams{Enabled: stripe.Bool(true)},
			SubscriptionCancel: &stripe.BillingPortalConfigurationCreateFeaturesSubscriptionCancelParams{Enabled: stripe.Bool(true), Mode: stripe.String("immediately")},
			SubscriptionUpdate: &stripe.BillingPortalConfigurationCreateFeaturesSubscriptionUpdateParams{
				Enabled: stripe.Bool(true), DefaultAllowedUpdates: []*string{stripe.String("quantity")},
			},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	newPortal := func() string {
		s, err := sc.V1BillingPortalSessions.Create(ctx, &stripe.BillingPortalSessionCreateParams{
			Customer: stripe.String(cu.ID), Configuration: stripe.String(cfg.ID), ReturnURL: stripe.String(merchant.URL + "/account"),
		})
		if err != nil {
			t.Fatal(err)
		}
		return s.URL
	}
	portal := newPortal()

	b.navigate(portal)
	if got := b.text("#" + sub.ID + " .status"); got != "active" {
		t.Fatalf("portal shows status %q", got)
	}
	if got := b.text("#invoices .invoice .status"); got != "paid" {
		t.Errorf("portal shows the first invoice as %q", got)
	}
	item := sub.Items.Data[0].ID
	b.set("#"+item+` input[name="quantity"]`, "4")
	b.click("#update-" + item)
	if got := b.eval("location.href"); got != merchant.URL+"/account" {
		t.Fatalf("after update the browser is at %q", got)
	}
	if s, _ := sc.V1Subscriptions.Retrieve(ctx, sub.ID, nil); s.Items.Data[0].Quantity != 4 {
		t.Errorf("quantity %d after the portal's update", s.Items.Data[0].Quantity)
	}

	b.navigate(portal) // opened already: still usable
	if got := b.text("#" + item + " .quantity"); got != "4" {
		t.Errorf("portal shows quantity %q", got)
	}
	b.click("#cancel-" + sub.ID)
	if got := b.text("#merchant"); got != "Merchant /account" {
		t.Fatalf("after cancel: %q", got)
	}
	if s, _ := sc.V1Subscriptions.Retrieve(ctx, sub.ID, nil); s.Status != "canceled" {
		t.Errorf("status %s after the portal's cancel", s.Status)
	}

	// A session not opened in time shows the expiry page.
	late := newPortal()
	f.Advance(5 * time.Minute)
	b.navigate(late)
	if got := b.text("#expired"); !strings.Contains(got, "expired") {
		t.Errorf("expired session shows %q", got)
	}

	// Checkout: a declined card, then the default test card.
	book, err := sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{
		Currency: stripe.String("usd"), UnitAmount: stripe.Int64(900), ProductData: &stripe.PriceCreateProductDataParams{Name: stripe.String("Book")},
	})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := sc.V1CheckoutSessions.Create(ctx, &stripe.CheckoutSessionCreateParams{
		Mode: stripe.String("payment"), LineItems: []*stripe.CheckoutSessionCreateLineItemParams{{Price: stripe.String(book.ID), Quantity: stripe.Int64(2)}},
		SuccessURL: stripe.String(merchant.URL + "/success?session={CHECKOUT_SESSION_ID}"), CustomerCreation: stripe.String("always"),
	})
	if err != nil {
		t.Fatal(err)
	}
	b.navigate(cs.URL)
	if got := b.text("#total"); got != "18.00 USD" {
		t.Errorf("checkout total %q", got)
	}
	b.set(`input[name="email"]`, "bo@example.com")
	b.set(`input[name="number"]`, "4000 0000 0000 0002")
	b.click("#submit")
	if got := b.text("#error"); got != "Your card was declined." {
		t.Fatalf("declined card shows %q", got)
	}
	if got, _ := sc.V1CheckoutSessions.Retrieve(ctx, cs.ID, nil); got.Status != "open" {
		t.Fatalf("status %s after a decline", got.Status)
	}
	b.set(`input[name="number"]`, "4242 4242 4242 4242")
	b.click("#submit")
	if got := b.eval("location.href"); got != merchant.URL+"/success?session="+cs.ID {
		t.Fatalf("after paying the browser is at %q", got)
	}
	got, err := sc.V1CheckoutSessions.Retrieve(ctx, cs.ID, nil)
	if err != nil || got.Status != "complete" || got.PaymentStatus != "paid" || got.Customer == nil || got.CustomerDetails.Email != "bo@example.com" {
		t.Fatalf("session after paying: %v %+v", err, got)
	}
	if shot := b.screenshot(); len(shot) == 0 {
		t.Errorf("empty screenshot")
	}
}

// ---- A headless chromium and a DevTools client ----

type browser struct {
	t      *testing.T
	ws     *wsConn
	nextID int
	events []cdpMessage
}

type cdpMessage struct {
	ID     int             `json:"id,omitempty"`
	Method string          `json:"method,omitempty"`
	Params json.RawMessage `json:"params,omitempty"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

// cdpTimeout bounds each wait on the browser, so a broken page fails the
// test instead of hanging it.
const cdpTimeout = 30 * time.Second

// startBrowser starts chromium with a fresh profile and connects to its
// first page; it skips the test when chromium is not installed.
func startBrowser(t *testing.T) *browser {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium not on PATH (apt-get install -y chromium)")
	}
	cmd := exec.Command(bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-proxy-server",
		"--user-data-dir="+t.TempDir(), "--remote-debugging-port=0", "about:blank")
	// Its own process group, so that its helper processes end with it
	// before the profile directory is removed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // the group of the process started here
		<-exited
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "DevTools listening on "); ok {
				select {
				case found <- u:
				default:
				}
			}
		}
		close(found)
	}()
	var browserURL string
	select {
	case u, ok := <-found:
		if !ok {
			t.Fatal("chromium exited without a DevTools endpoint")
		}
		browserURL = u
	case <-time.After(cdpTimeout):
		t.Fatal("chromium did not start")
	}
	t.Cleanup(func() {
		// Closing through DevTools lets chromium end its helpers and
		// flush its profile; the group kill above is the fallback.
		if ws, err := dialWebsocket(browserURL); err == nil {
			_ = ws.writeText([]byte(`{"id":1,"method":"Browser.close"}`))
			ws.conn.Close()
		}
		select {
		case <-exited:
		case <-time.After(cdpTimeout):
		}
	})
	bu, err := url.Parse(browserURL)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + bu.Host + "/json/list")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var targets []struct {
		Type string `json:"type"`
		WS   string `json:"webSocketDebuggerUrl"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&targets); err != nil {
		t.Fatal(err)
	}
	pageWS := ""
	for _, tg := range targets {
		if tg.Type == "page" {
			pageWS = tg.WS
			break
		}
	}
	if pageWS == "" {
		t.Fatalf("no page target in %+v", targets)
	}
	ws, err := dialWebsocket(pageWS)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.conn.Close() })
	b := &browser{t: t, ws: ws}
	b.call("Page.enable", nil)
	b.call("Runtime.enable", nil)
	return b
}

// call sends a command and returns its result, keeping events that arrive
// meanwhile.
func (b *browser) call(method string, params any) json.RawMessage {
	b.t.Helper()
	b.nextID++
	id := b.nextID
	msg, _ := json.Marshal(map[string]any{"id": id, "method": method, "params": params})
	if err := b.ws.writeText(msg); err != nil {
		b.t.Fatalf("%s: %v", method, err)
	}
	for {
		m := b.read(method)
		if m.ID == id {
			if m.Error != nil {
				b.t.Fatalf("%s: %s", method, m.Error.Message)
			}
			return m.Result
		}
		if m.Method != "" {
			b.events = append(b.events, m)
		}
	}
}

func (b *browser) read(what string) cdpMessage {
	b.t.Helper()
	_ = b.ws.conn.SetReadDeadline(time.Now().Add(cdpTimeout))
	raw, err := b.ws.readMessage()
	if err != nil {
		b.t.Fatalf("waiting for %s: %v", what, err)
	}
	var m cdpMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		b.t.Fatalf("bad DevTools message %q: %v", raw, err)
	}
	return m
}

// waitEvent waits for the next event named method.
func (b *browser) waitEvent(method string) {
	b.t.Helper()
	for i, ev := range b.events {
		if ev.Method == method {
			b.events = append(b.events[:i:i], b.events[i+1:]...)
			return
		}
	}
	for {
		if m := b.read(method); m.Method == method {
			return
		} else if m.Method != "" {
			b.events = append(b.events, m)
		}
	}
}

// navigate loads u and waits for its load event.
func (b *browser) navigate(u string) {
	b.t.Helper()
	b.events = nil
	res := b.call("Page.navigate", map[string]any{"url": u})
	var nav struct {
		ErrorText string `json:"errorText"`
	}
	_ = json.Unmarshal(res, &nav)
	if nav.ErrorText != "" {
		b.t.Fatalf("navigate %s: %s", u, nav.ErrorText)
	}
	b.waitEvent("Page.loadEventFired")
}

// eval evaluates a JavaScript expression and returns its value as a string.
func (b *browser) eval(expr string) string {
	b.t.Helper()
	res := b.call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true})
	var out struct {
		Result struct {
			Value any `json:"value"`
		} `json:"result"`
		ExceptionDetails any `json:"exceptionDetails"`
	}
	if err := json.Unmarshal(res, &out); err != nil || out.ExceptionDetails != nil {
		b.t.Fatalf("eval %s: %v %v", expr, err, out.ExceptionDetails)
	}
	if out.Result.Value == nil {
		return ""
	}
	return fmt.Sprint(out.Result.Value)
}

// text is the trimmed text of the first element matching selector, "" if none.
func (b *browser) text(selector string) string {
	b.t.Helper()
	sel, _ := json.Marshal(selector)
	return b.eval(fmt.Sprintf(`(e => e ? e.textContent.trim() : "")(document.querySelector(%s))`, sel))
}

// set types value into the input matching selector.
func (b *browser) set(selector, value string) {
	b.t.Helper()
	sel, _ := json.Marshal(selector)
	val, _ := json.Marshal(value)
	if got := b.eval(fmt.Sprintf(`(e => { if (!e) return "missing"; e.value = %s; return "ok" })(document.querySelector(%s))`, val, sel)); got != "ok" {
		b.t.Fatalf("no input %s on %s", selector, b.eval("location.href"))
	}
}

// click clicks the element matching selector (a submit button) and waits
// for the page it leads to.
func (b *browser) click(selector string) {
	b.t.Helper()
	b.events = nil
	sel, _ := json.Marshal(selector)
	if got := b.eval(fmt.Sprintf(`(e => { if (!e) return "missing"; e.click(); return "ok" })(document.querySelector(%s))`, sel)); got != "ok" {
		b.t.Fatalf("nothing to click at %s on %s", selector, b.eval("location.href"))
	}
	b.waitEvent("Page.loadEventFired")
}

// screenshot returns a PNG of the current page.
func (b *browser) screenshot() []byte {
	b.t.Helper()
	var out struct {
		Data string `json:"data"`
	}
	_ = json.Unmarshal(b.call("Page.captureScreenshot", map[string]any{"format": "png"}), &out)
	png, _ := base64.StdEncoding.DecodeString(out.Data)
	return png
}

// ---- A minimal websocket client (RFC 6455): text messages, pings ----

type wsConn struct {
	conn net.Conn
	r    *bufio.Reader
}

func dialWebsocket(rawURL string) (*wsConn, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	conn, err := net.DialTimeout("tcp", u.Host, cdpTimeout)
	if err != nil {
		return nil, err
	}
	key := make([]byte, 16)
	_, _ = rand.Read(key)
	req := fmt.Sprintf("GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
		u.RequestURI(), u.Host, base64.StdEncoding.EncodeToString(key))
	if _, err := io.WriteString(conn, req); err != nil {
		conn.Close()
		return nil, err
	}
	r := bufio.NewReader(conn)
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		conn.Close()
		return nil, err
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		conn.Close()
		return nil, fmt.Errorf("websocket handshake: %s", resp.Status)
	}
	return &wsConn{conn: conn, r: r}, nil
}

// writeFrame sends one final, masked frame (clients must mask).
func (w *wsConn) writeFrame(opcode byte, payload []byte) error {
	hdr := []byte{0x80 | opcode}
	switch n := len(payload); {
	case n < 126:
		hdr = append(hdr, 0x80|byte(n))
	case n <= 0xFFFF:
		hdr = append(hdr, 0x80|126, byte(n>>8), byte(n))
	default:
		hdr = append(hdr, 0x80|127)
		hdr = binary.BigEndian.AppendUint64(hdr, uint64(n))
	}
	mask := make([]byte, 4)
	_, _ = rand.Read(mask)
	hdr = append(hdr, mask...)
	body := make([]byte, len(payload))
	for i := range payload {
		body[i] = payload[i] ^ mask[i%4]
	}
	_, err := w.conn.Write(append(hdr, body...))
	return err
}

func (w *wsConn) writeText(msg []byte) error { return w.writeFrame(0x1, msg) }

// readMessage returns the next text or binary message, joining fragments
// and answering pings.
func (w *wsConn) readMessage() ([]byte, error) {
	var msg []byte
	for {
		var h [2]byte
		if _, err := io.ReadFull(w.r, h[:]); err != nil {
			return nil, err
		}
		fin, opcode := h[0]&0x80 != 0, h[0]&0x0F
		n := uint64(h[1] & 0x7F)
		switch n {
		case 126:
			var ext [2]byte
			if _, err := io.ReadFull(w.r, ext[:]); err != nil {
				return nil, err
			}
			n = uint64(binary.BigEndian.Uint16(ext[:]))
		case 127:
			var ext [8]byte
			if _, err := io.ReadFull(w.r, ext[:]); err != nil {
				return nil, err
			}
			n = binary.BigEndian.Uint64(ext[:])
		}
		var mask []byte
		if h[1]&0x80 != 0 {
			mask = make([]byte, 4)
			if _, err := io.ReadFull(w.r, mask); err != nil {
				return nil, err
			}
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(w.r, payload); err != nil {
			return nil, err
		}
		if mask != nil {
			for i := range payload {
				payload[i] ^= mask[i%4]
			}
		}
		switch opcode {
		case 0x8:
			return nil, errors.New("websocket closed by chromium")
		case 0x9:
			if err := w.writeFrame(0xA, payload); err != nil {
				return nil, err
			}
			continue
		case 0xA:
			continue
		}
		msg = append(msg, payload...)
		if fin {
			return msg, nil
		}
	}
}
