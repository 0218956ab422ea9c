package bridge

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"io"
	"net/http"
	"strings"
	"testing"
)

func gzipped(t testing.TB, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func compressed(t testing.TB, b []byte, newWriter func(io.Writer) io.WriteCloser) []byte {
	t.Helper()
	var out bytes.Buffer
	zw := newWriter(&out)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func rawDeflated(t testing.TB, b []byte) []byte {
	t.Helper()
	return compressed(t, b, func(w io.Writer) io.WriteCloser { fw, _ := flate.NewWriter(w, flate.BestCompression); return fw })
}

func (h *harness) postEncoded(t testing.TB, body []byte, encoding string) response {
	t.Helper()
	return h.do(t, http.MethodPost, h.webhookURL(), bytes.NewReader(body), map[string]string{"Content-Encoding": encoding})
}

// A compressed body is its content: the same event id as sent plain, so
// a sender switching compression on re-sends nothing twice.
func TestCompressedBodiesArePublishedAsTheirContent(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	plain := payload(t, "job_added")
	id := wantOutcome(t, h.post(t, plain), "published")
	zlibWriter := func(w io.Writer) io.WriteCloser { return zlib.NewWriter(w) }
	for _, c := range []struct {
		name, encoding string
		body           []byte
	}{
		{"gzip", "gzip", gzipped(t, plain)},
		{"x-gzip, upper case", "X-GZIP", gzipped(t, plain)},
		{"gzip after identity", "identity, gzip", gzipped(t, plain)},
		{"two gzip members", "gzip", append(gzipped(t, plain[:10]), gzipped(t, plain[10:])...)},
		{"deflate (zlib)", "deflate", compressed(t, plain, zlibWriter)},
		{"identity", "identity", plain},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := wantOutcome(t, h.postEncoded(t, c.body, c.encoding), "duplicate"); got != id {
				t.Errorf("id %s, want the plain body's %s", got, id)
			}
		})
	}
	// A new event, compressed, is stored as its JSON.
	other := jobAdded(t, "job_gzip_1")
	wantOutcome(t, h.postEncoded(t, gzipped(t, other), "gzip"), "published")
	stored := h.messages(t, testPrefix+".job_added")
	if last := stored[len(stored)-1].Data; !bytes.Contains(last, []byte(`"job_gzip_1"`)) || bytes.HasPrefix(last, []byte{0x1f, 0x8b}) {
		t.Errorf("stored %q, want the decompressed event", last)
	}
}

// A small body that inflates past the body limit is a 413, read no further
// than the limit.
func TestCompressedBodyOverTheLimit(t *testing.T) {
	t.Parallel()
	const limit = 4096
	h := newHarness(t, withConfig(func(c *Config) { c.MaxBodyBytes = limit }))
	bomb := gzipped(t, append(jobAdded(t, "job_bomb"), bytes.Repeat([]byte(" "), 2<<20)...))
	if len(bomb) > limit {
		t.Fatalf("the bomb is %d bytes compressed, want it under the limit of %d", len(bomb), limit)
	}
	detail := wantError(t, h.postEncoded(t, bomb, "gzip"), http.StatusRequestEntityTooLarge, codeTooLarge)
	if !strings.Contains(detail, "once decompressed") {
		t.Errorf("detail %q does not say the decompressed body is what is too large", detail)
	}
	// At the limit exactly, decompressed, it is an event.
	fits := jobAdded(t, "job_fits")
	fits = append(fits, bytes.Repeat([]byte(" "), limit-len(fits))...)
	wantOutcome(t, h.postEncoded(t, gzipped(t, fits), "gzip"), "published")
}

func TestUnsupportedContentEncoding(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, encoding := range []string{"br", "compress", "zstd", "gzip, gzip", "deflate, gzip"} {
		t.Run(encoding, func(t *testing.T) {
			r := h.postEncoded(t, payload(t, "job_added"), encoding)
			detail := wantError(t, r, http.StatusUnsupportedMediaType, codeUnsupportedEncoding)
			if !strings.Contains(detail, encoding) || !strings.Contains(detail, "gzip, deflate, identity") {
				t.Errorf("detail %q does not name %s and the accepted codings", detail, encoding)
			}
			if got := r.header.Get("Accept-Encoding"); got != acceptedEncodings {
				t.Errorf("Accept-Encoding %q, want %q", got, acceptedEncodings)
			}
		})
	}
	if n := h.stored(t); n != 0 {
		t.Errorf("%d messages stored, want none: nothing was read", n)
	}
}

// A body that is not in the coding it names is a 400 saying so; before,
// a plain body labelled gzip was accepted as plain.
func TestBodyNotInItsContentEncoding(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	plain := payload(t, "job_added")
	gz := gzipped(t, plain)
	for _, c := range []struct {
		name, encoding string
		body           []byte
	}{
		{"plain JSON labelled gzip", "gzip", plain},
		{"plain JSON labelled deflate", "deflate", plain},
		{"raw deflate, without zlib's header and checksum", "deflate", rawDeflated(t, plain)},
		{"gzip cut short", "gzip", gz[:len(gz)/2]},
		{"gzip with a broken checksum", "gzip", append(bytes.Clone(gz[:len(gz)-8]), 0, 0, 0, 0, 0, 0, 0, 0)},
		{"empty, labelled gzip", "gzip", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			detail := wantError(t, h.postEncoded(t, c.body, c.encoding), http.StatusBadRequest, codeBadEncoding)
			if !strings.Contains(detail, "Content-Encoding") {
				t.Errorf("detail %q does not point at the Content-Encoding", detail)
			}
		})
	}
	if n := h.stored(t); n != 0 {
		t.Errorf("%d messages stored, want none", n)
	}
}

// A compressed body that is not an event is dead-lettered as its content,
// so a replay (which reads JSON) can publish it once fixed.
func TestCompressedRejectionIsDeadLetteredDecompressed(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	bad := []byte(`{"event":"job_added","timestamp":"yesterday"`)
	detail := wantError(t, h.postEncoded(t, gzipped(t, bad), "gzip"), http.StatusBadRequest, "invalid_json")
	h.wantDeadLetter(t, 0, bad, "invalid_json", detail)
}
