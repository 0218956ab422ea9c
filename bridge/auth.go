package bridge

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// tokenSlots is the granularity of the number of comparisons: every
// presented token is compared with a multiple of this many hashes, so the
// time of a check tells nothing about how many tokens there are, up to
// this many (and only their count rounded up beyond).
const tokenSlots = 16

// tokenChecker compares presented tokens with every configured one in
// constant time. Both sides are hashed first so that not even the length
// of a secret leaks through timing.
type tokenChecker struct {
	hashes [][sha256.Size]byte
	// owners are the index of the source of each hash; -1 for the padding.
	owners []int
}

func newTokenChecker(srcs []Source) tokenChecker {
	var c tokenChecker
	for i, s := range srcs {
		for _, t := range s.Tokens {
			c.hashes = append(c.hashes, sha256.Sum256([]byte(t)))
			c.owners = append(c.owners, i)
		}
	}
	// Padding of random hashes: no token hashes to them.
	for len(c.hashes) == 0 || len(c.hashes)%tokenSlots != 0 {
		var pad [sha256.Size]byte
		_, _ = rand.Read(pad[:])
		c.hashes = append(c.hashes, pad)
		c.owners = append(c.owners, -1)
	}
	return c
}

// match is the index of the source whose token presented is, or -1. It
// compares with every hash and selects without a branch, so neither which
// token matched nor whether one did shows in the time it takes.
func (c tokenChecker) match(presented string) int {
	got := sha256.Sum256([]byte(presented))
	found := -1
	for i := range c.hashes {
		eq := subtle.ConstantTimeCompare(got[:], c.hashes[i][:])
		found = subtle.ConstantTimeSelect(eq, c.owners[i], found)
	}
	return found
}

// source accepts the token as the last path segment, the token query
// parameter, or a bearer token; any one that matches is enough. It is the
// index of the matching token's source, or -1.
func (c tokenChecker) source(r *http.Request) int {
	found := -1
	tokens, n := presentedTokens(r)
	for _, t := range tokens[:n] {
		// No early return: every presented token costs the same.
		if i := c.match(t); i >= 0 {
			found = i
		}
	}
	return found
}

// presentedTokens returns the tokens in an array, not a slice, so a
// request costs no allocation for them.
func presentedTokens(r *http.Request) (out [3]string, n int) {
	if t := r.PathValue("token"); t != "" {
		out[n] = t
		n++
	}
	if r.URL.RawQuery != "" {
		if t := r.URL.Query().Get("token"); t != "" {
			out[n] = t
			n++
		}
	}
	if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		out[n] = strings.TrimSpace(h[7:])
		n++
	}
	return out, n
}
