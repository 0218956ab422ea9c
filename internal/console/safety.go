package console

import (
	"crypto/sha256"
	"crypto/subtle"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// maxActionBody bounds a POST's body: a note, in JSON or a form.
const maxActionBody = 16 << 10

// action guards a POST (SPEC 12): another site cannot forge it (Go's
// same-origin check on Sec-Fetch-Site and Origin), its body is JSON or a
// form (or none: a cross-site form post of text/plain would need no
// preflight), and off loopback it needs the admin token.
func (c *Console) action(h http.HandlerFunc) http.Handler {
	guarded := c.authorized(func(w http.ResponseWriter, r *http.Request) {
		if !acceptedBody(r) {
			writeError(w, http.StatusUnsupportedMediaType, codeMediaType,
				"send the body as application/json or application/x-www-form-urlencoded, or send none")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxActionBody)
		h(w, r)
	})
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusForbidden, codeCrossOrigin,
			"refused: the request comes from another site (Sec-Fetch-Site or Origin); the console's actions are taken from its own page, or without a browser")
	}))
	return cop.Handler(guarded)
}

// acceptedBody tells whether r's body is one an action takes.
func acceptedBody(r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return r.ContentLength == 0
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "application/json" || mt == "application/x-www-form-urlencoded")
}

// authorized applies the token rule: off loopback, the request needs
// HIREBRIDGE_ADMIN_TOKEN as a bearer token, and is refused outright while
// none is set; on loopback none is needed, but one presented must be right.
func (c *Console) authorized(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if status, code, detail := c.tokenRule(r); status != 0 {
			if status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="hirebridge-admin"`)
			}
			writeError(w, status, code, detail)
			return
		}
		h(w, r)
	}
}

// tokenRule is the token rule's verdict on r: status 0 lets it through.
func (c *Console) tokenRule(r *http.Request) (status int, code, detail string) {
	presented, has := bearer(r)
	// A request counts as from this machine only when the listener is on
	// loopback and the request names it so: a page whose own name was
	// made to resolve to 127.0.0.1 (DNS rebinding) is same-origin to the
	// browser, but names its own host.
	loopback := c.cfg.Loopback && loopbackHost(r.Host)
	switch {
	case c.cfg.Token == "" && loopback:
		return 0, "", ""
	case c.cfg.Token == "" && c.cfg.Loopback:
		return http.StatusForbidden, codeTokenRequired,
			"the request names the host " + strconv.Quote(r.Host) + ", not localhost or a loopback address, so this needs the admin token, and none is set: reach the console as http://localhost:<port>/ or http://127.0.0.1:<port>/, or set HIREBRIDGE_ADMIN_TOKEN"
	case c.cfg.Token == "":
		return http.StatusForbidden, codeTokenRequired,
			"the admin listener is not on loopback, so this needs the admin token, and none is set: set HIREBRIDGE_ADMIN_TOKEN (or HIREBRIDGE_ADMIN_TOKEN_FILE) and send it as Authorization: Bearer <token>"
	case !has && loopback:
		return 0, "", ""
	case !has:
		return http.StatusUnauthorized, codeUnauthorized, "send the admin token (HIREBRIDGE_ADMIN_TOKEN) as Authorization: Bearer <token>"
	case !sameToken(presented, c.cfg.Token):
		return http.StatusUnauthorized, codeUnauthorized, "the bearer token is not the admin token (HIREBRIDGE_ADMIN_TOKEN)"
	}
	return 0, "", ""
}

// loopbackHost tells whether a Host header names this machine: localhost
// (or a name under it) or a loopback address.
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// bearer is the request's bearer token, if it has an Authorization header.
func bearer(r *http.Request) (string, bool) {
	v := r.Header.Get("Authorization")
	if v == "" {
		return "", false
	}
	scheme, token, ok := strings.Cut(v, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		// Presented, but not as a bearer token: wrong.
		return "", true
	}
	return strings.TrimSpace(token), true
}

// sameToken compares in constant time, over hashes so the length leaks
// nothing either.
func sameToken(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}
