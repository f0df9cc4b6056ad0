package stripefake_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// goBlocks returns the ```go blocks of README.md between the headings from
// and to (to "" for the end).
func goBlocks(t *testing.T, from, to string) []string {
	t.Helper()
	raw, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	i := strings.Index(s, "\n"+from+"\n")
	if i < 0 {
		t.Fatalf("README has no heading %q", from)
	}
	s = s[i:]
	if to != "" {
		j := strings.Index(s, "\n"+to+"\n")
		if j < 0 {
			t.Fatalf("README has no heading %q after %q", to, from)
		}
		s = s[:j]
	}
	var blocks []string
	for {
		_, rest, ok := strings.Cut(s, "\n```go\n")
		if !ok {
			return blocks
		}
		block, after, ok := strings.Cut(rest, "\n```\n")
		if !ok {
			t.Fatalf("unterminated go block under %q", from)
		}
		blocks = append(blocks, block+"\n")
		s = after
	}
}

// recipeHarness is what each recipe runs inside: the quick start's set-up.
const recipeHarness = `package billing_test

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripe/stripe-go/v85/webhook"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/store"
)

var (
	_ = io.ReadAll
	_ = http.StatusOK
	_ = filepath.Join
	_ = webhook.ConstructEvent
	_ = store.NewMemory
)

func setup(t *testing.T) (context.Context, *fake.Fake, *stripe.Client) {
	f := fake.New(t, fake.WithStartTime(time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)))
	sc := stripe.NewClient("sk_test_123", stripe.WithBackends(stripe.NewBackendsWithConfig(&stripe.BackendConfig{
		HTTPClient:        f.HTTPClient(),
		URL:               stripe.String(f.URL()),
		MaxNetworkRetries: stripe.Int64(0),
		LeveledLogger:     &stripe.LeveledLogger{Level: stripe.LevelNull},
	})))
	return context.Background(), f, sc
}
`

// The README's quick start compiles and passes exactly as printed, and so
// does every recipe inside the quick start's set-up: neither can rot.
func TestReadmeCode(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the README's code with go test")
	}
	quick := goBlocks(t, "## Quick start", "## Recipes")
	recipes := goBlocks(t, "## Recipes", "## Standalone server")
	if len(quick) != 1 || len(recipes) < 6 {
		t.Fatalf("found %d quick start and %d recipe blocks", len(quick), len(recipes))
	}
	// A directory of the module whose name starts with a dot, so that
	// ./... never sees it; it is removed afterwards.
	dir, err := os.MkdirTemp(".", ".readme-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	var b strings.Builder
	b.WriteString(recipeHarness)
	for i, r := range recipes {
		b.WriteString("\nfunc TestRecipe" + strconv.Itoa(i+1) + "(t *testing.T) {\n\tctx, f, sc := setup(t)\n\t_, _, _ = ctx, f, sc\n")
		b.WriteString(r)
		b.WriteString("}\n")
	}
	files := map[string]string{"quickstart_test.go": quick[0], "recipes_test.go": b.String()}
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command("go", "test", "-count=1", "./"+filepath.Base(dir)).CombinedOutput()
	if err != nil {
		t.Fatalf("the README's code fails: %v\n%s", err, out)
	}
}
