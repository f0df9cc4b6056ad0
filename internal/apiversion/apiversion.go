// Package apiversion knows every Stripe API version the fake serves, from
// 2023-10-16 to the newest endive, and the chain of named version changes
// that turn the one stored model (dahlia's shapes) into what an older
// version answers.
//
// A release is one file: the versions it published and the breaking changes
// its first version made. Each change is a small transform of one kind of
// object, from the shape after the change to the shape before it, in the
// spirit of Stripe's own version-change modules. Rendering an object for a
// version applies, newest first, every change made after that version.
//
// Resource code asks questions such as c.Version.Before(apiversion.Basil);
// it never compares version strings.
package apiversion

import (
	"regexp"
	"time"

	"github.com/stripefake/stripefake/internal/apierr"
)

// Version is a Stripe API version such as "2023-10-16" or
// "2025-03-31.basil". Versions compare by date.
type Version string

// The first version of each release the fake distinguishes.
const (
	V20231016 Version = "2023-10-16"
	V20240410 Version = "2024-04-10"
	V20240620 Version = "2024-06-20"
	Acacia    Version = "2024-09-30.acacia"
	Basil     Version = "2025-03-31.basil"
	Clover    Version = "2025-09-30.clover"
	Dahlia    Version = "2026-03-25.dahlia"
	Endive    Version = "2026-09-30.endive"
)

// Default is the version of an account that names none, and the shape of
// the stored model.
const Default = Dahlia

// Before reports whether v was published before o.
func (v Version) Before(o Version) bool { return v.date() < o.date() }

// String returns the version as Stripe spells it.
func (v Version) String() string { return string(v) }

func (v Version) date() string {
	if len(v) < 10 {
		return string(v)
	}
	return string(v[:10])
}

// Release is one file's worth of versions: the versions published under one
// release name (oldest first), and the breaking changes its first version
// made (any order; each names its objects).
type Release struct {
	Name     string
	Versions []Version
	Changes  []Change
	Params   []ParamChange
}

// first is the version that made the release's breaking changes.
func (r *Release) first() Version { return r.Versions[0] }

// releases lists every release, newest first. Adding a release is adding a
// file and a line here.
var releases = []*Release{
	&endive, &dahlia, &clover, &basil, &acacia, &r20240620, &r20240410, &r20231016,
}

// Known returns every published version the fake knows, oldest first.
func Known() []Version {
	var out []Version
	for i := len(releases) - 1; i >= 0; i-- {
		out = append(out, releases[i].Versions...)
	}
	return out
}

// Newest is the newest published version the fake knows.
func Newest() Version {
	vs := releases[0].Versions
	return vs[len(vs)-1]
}

var known = func() map[Version]bool {
	m := map[Version]bool{}
	for _, v := range Known() {
		m[v] = true
	}
	return m
}()

// wellFormed is a date-style version, with or without a release name.
var wellFormed = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2})(\.[a-z]+)?$`)

// Parse returns the version to serve for a Stripe-Version header. A
// published version is served as itself. A well-formed date-style version
// dated after the newest known one is served as the newest known release:
// Stripe publishes monthly and a client newer than the fake should get the
// closest shapes the fake has. Anything else is Stripe's
// "Invalid Stripe API version" error.
func Parse(s string) (Version, error) {
	v := Version(s)
	if known[v] {
		return v, nil
	}
	if m := wellFormed.FindStringSubmatch(s); m != nil {
		if _, err := time.Parse(time.DateOnly, m[1]); err == nil && Newest().Before(v) {
			return Newest(), nil
		}
	}
	return "", apierr.InvalidRequest("", "Invalid Stripe API version: "+s)
}
