package resources

import "crypto/rand"

// unguessable returns n base62 characters from crypto/rand, for what must
// not be predictable even though IDs are: webhook signing secrets, hosted
// page links and their CSRF tokens. Everything else the fake hands out
// stays deterministic.
func unguessable(n int) string {
	// 62*4 = 248 of 256 byte values map evenly onto base62; the rest are
	// drawn again, so every character is uniform.
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/4+8)
	for len(out) < n {
		_, _ = rand.Read(buf) // crypto/rand.Read never fails
		for _, b := range buf {
			if b < 248 && len(out) < n {
				out = append(out, base62[b%62])
			}
		}
	}
	return string(out)
}
