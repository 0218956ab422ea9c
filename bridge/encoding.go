package bridge

import (
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

// A sender may compress its body and say so in Content-Encoding (RFC 9110
// section 8.4). The bridge undoes gzip and deflate before anything else,
// so what is validated, published and dead-lettered is the JSON itself
// (a replay can then fix it). The decompressed body is held to the same
// HIREBRIDGE_MAX_BODY_BYTES as a plain one: a small body that inflates
// past it (a zip bomb) is a 413 once the limit is crossed, never read on.

// acceptedEncodings is what a 415 names, in the Accept-Encoding header
// RFC 7694 gives the answer, and in its detail.
const acceptedEncodings = "gzip, deflate, identity"

// decoderMemory is charged to the memory budget for a request whose body
// is decompressed: flate's window (32 KiB) and its Huffman tables, with a
// margin, the decoder being taken from a pool but held by the request.
const decoderMemory = 64 << 10

// contentCoding is the body's one content coding, lowercased: "" for none.
type contentCoding string

const (
	codingNone    contentCoding = ""
	codingGzip    contentCoding = "gzip"
	codingDeflate contentCoding = "deflate"
)

// errUnsupportedEncoding is a Content-Encoding the bridge cannot undo.
type errUnsupportedEncoding struct{ coding string }

func (e *errUnsupportedEncoding) Error() string {
	return fmt.Sprintf("Content-Encoding %q is not supported; send the body as is, or with one of: %s", e.coding, acceptedEncodings)
}

// errBadEncoding is a body that is not what its Content-Encoding says.
type errBadEncoding struct {
	coding contentCoding
	err    error
}

func (e *errBadEncoding) Error() string {
	return fmt.Sprintf("the body is not %s as its Content-Encoding says: %v", e.coding, e.err)
}

// errInflatedTooLarge is a compressed body whose content passes the limit.
var errInflatedTooLarge = errors.New("the decompressed body is larger than the limit")

// parseContentEncoding reads the request's Content-Encoding. Several
// codings applied in turn ("gzip, gzip") are refused: no sender needs
// them, and each would multiply what a small body can inflate to.
func parseContentEncoding(h http.Header) (contentCoding, error) {
	values := h.Values("Content-Encoding")
	var codings []string
	for _, v := range values {
		for c := range strings.SplitSeq(v, ",") {
			if c = strings.ToLower(strings.TrimSpace(c)); c != "" && c != "identity" {
				codings = append(codings, c)
			}
		}
	}
	switch {
	case len(codings) == 0:
		return codingNone, nil
	case len(codings) > 1:
		return codingNone, &errUnsupportedEncoding{coding: strings.Join(codings, ", ")}
	}
	switch codings[0] {
	case "gzip", "x-gzip":
		return codingGzip, nil
	case "deflate":
		return codingDeflate, nil
	}
	return codingNone, &errUnsupportedEncoding{coding: codings[0]}
}

// decoders recycles decompressors: each holds tens of kilobytes of state,
// which a steady flow of compressed bodies would otherwise allocate anew
// per request.
var decoders struct {
	gzip, zlib sync.Pool
}

// decoding is a compressed body being read as its content.
type decoding struct {
	r       io.Reader
	release func()
}

// newDecoding wraps body, compressed with coding. "deflate" is the zlib
// format (RFC 9110), whose checksum tells a body from garbage; raw deflate,
// which some clients send under that name, has none, so a plain body
// labelled deflate would decode to noise: it is refused with the rest.
func newDecoding(body io.Reader, coding contentCoding) (*decoding, error) {
	switch coding {
	case codingGzip:
		zr, _ := decoders.gzip.Get().(*gzip.Reader)
		var err error
		if zr == nil {
			zr, err = gzip.NewReader(body)
		} else {
			err = zr.Reset(body)
		}
		if err != nil {
			return nil, &errBadEncoding{coding: coding, err: err}
		}
		return &decoding{r: zr, release: func() { decoders.gzip.Put(zr) }}, nil
	case codingDeflate:
		zr, _ := decoders.zlib.Get().(io.ReadCloser)
		var err error
		if zr == nil {
			zr, err = zlib.NewReader(body)
		} else {
			err = zr.(zlib.Resetter).Reset(body, nil)
		}
		if err != nil {
			return nil, &errBadEncoding{coding: coding, err: err}
		}
		return &decoding{r: zr, release: func() { decoders.zlib.Put(zr) }}, nil
	}
	return &decoding{r: body, release: func() {}}, nil
}

// decodeError tells a body that is not in its coding from one that could
// not be read off the connection (which keeps its own error): the
// decompressors report the first as their own errors.
func decodeError(coding contentCoding, err error) error {
	var tooBig *http.MaxBytesError
	if coding == codingNone || errors.As(err, &tooBig) || errors.Is(err, errOverBudget) || errors.Is(err, errBeyondBudget) {
		return err
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, gzip.ErrHeader) || errors.Is(err, gzip.ErrChecksum) ||
		errors.Is(err, zlib.ErrHeader) || errors.Is(err, zlib.ErrChecksum) || isFlateError(err) {
		return &errBadEncoding{coding: coding, err: err}
	}
	return err
}

func isFlateError(err error) bool {
	var corrupt flate.CorruptInputError
	var internal flate.InternalError
	return errors.As(err, &corrupt) || errors.As(err, &internal)
}
