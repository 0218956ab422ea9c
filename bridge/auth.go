package bridge

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// tokenChecker compares presented tokens with the configured one in constant
// time. Both sides are hashed first so that not even the length of the
// secret leaks through timing.
type tokenChecker struct {
	want [sha256.Size]byte
}

func newTokenChecker(token string) tokenChecker {
	return tokenChecker{want: sha256.Sum256([]byte(token))}
}

func (c tokenChecker) matches(presented string) bool {
	got := sha256.Sum256([]byte(presented))
	return subtle.ConstantTimeCompare(got[:], c.want[:]) == 1
}

// authorized accepts the token as the last path segment, the token query
// parameter, or a bearer token; any one that matches is enough.
func (c tokenChecker) authorized(r *http.Request) bool {
	ok := false
	tokens, n := presentedTokens(r)
	for _, t := range tokens[:n] {
		// No early return: every presented token costs the same.
		if c.matches(t) {
			ok = true
		}
	}
	return ok
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
