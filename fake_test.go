package stripefake_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stripefake/stripefake/fake"
)

// TestReadmeListsRoutes keeps the README's list of implemented endpoints
// equal to what the fake serves.
func TestReadmeListsRoutes(t *testing.T) {
	raw, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	start := strings.Index(readme, "<!-- routes:start -->")
	end := strings.Index(readme, "<!-- routes:end -->")
	if start < 0 || end < start {
		t.Fatal("README has no routes markers")
	}
	var want strings.Builder
	want.WriteString("<!-- routes:start -->\n")
	for _, r := range fake.New(t).Routes() {
		want.WriteString("- `" + r + "`\n")
	}
	got := readme[start:end]
	if got != want.String() {
		if os.Getenv("UPDATE_README") != "" {
			readme = readme[:start] + want.String() + readme[end:]
			if err := os.WriteFile("README.md", []byte(readme), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("README's endpoint list is stale; run UPDATE_README=1 go test -run TestReadmeListsRoutes .\n got:\n%s\nwant:\n%s", got, want.String())
	}
}
