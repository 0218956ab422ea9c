package bridge

import (
	"io"
	"net/http"
	"sync"
)

// bodyPool recycles request buffers: normalization writes a new body, so the
// raw bytes are free once the request is answered. Only small buffers are
// kept, so one large request does not pin memory, and so that the buffer a
// request starts with is a small, known share of the budget.
type bodyPool struct{ pool sync.Pool }

const (
	// minBodyBuffer fits the documented events (under 2 KB) in one read.
	minBodyBuffer = 4 << 10
	// maxPooledBody is also the most a request is given before its bytes
	// arrive: a slow sender announcing a large Content-Length holds no more
	// of the budget than this until it actually sends.
	maxPooledBody = 16 << 10
)

func (p *bodyPool) get() *[]byte {
	if b, ok := p.pool.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 0, minBodyBuffer)
	return &b
}

func (p *bodyPool) put(b *[]byte) {
	if cap(*b) > maxPooledBody {
		return
	}
	*b = (*b)[:0]
	p.pool.Put(b)
}

// readBody reads at most limit bytes; more is an *http.MaxBytesError. The
// buffer grows as bytes arrive, each growth taken from res first, so the
// budget counts what senders sent, not what they announced. A body in a
// content coding is decompressed as it is read, its content held to the
// same limit (errInflatedTooLarge past it). The returned buffer holds the
// body and goes back with p.put once the request is done.
func (p *bodyPool) readBody(w http.ResponseWriter, r *http.Request, limit int64, res *reservation, coding contentCoding) (*[]byte, error) {
	buf := p.get()
	if cl := r.ContentLength; cl >= int64(cap(*buf)) && cl < maxPooledBody {
		// Room for the announced body and the EOF after it, in one read.
		p.put(buf)
		exact := make([]byte, 0, cl+1)
		buf = &exact
	}
	if err := res.grow(int64(cap(*buf))); err != nil {
		p.put(buf)
		return nil, err
	}
	var body io.Reader = http.MaxBytesReader(w, r.Body, limit)
	if coding != codingNone {
		if err := res.grow(decoderMemory); err != nil {
			p.put(buf)
			return nil, err
		}
		d, err := newDecoding(body, coding)
		if err != nil {
			p.put(buf)
			return nil, decodeError(coding, err)
		}
		defer d.release()
		body = d.r
	}
	for {
		b := *buf
		if int64(len(b)) > limit {
			// Only a decompressed body gets here: the wire's bytes stop
			// at the limit by themselves (MaxBytesReader).
			p.put(buf)
			return nil, errInflatedTooLarge
		}
		if len(b) == cap(b) {
			// limit+1 is enough to tell a body at the limit from one over.
			next := min(2*int64(cap(b)), limit+1)
			if err := res.grow(next - int64(cap(b))); err != nil {
				p.put(buf)
				return nil, err
			}
			grown := make([]byte, len(b), next)
			copy(grown, b)
			p.put(buf)
			buf, b = &grown, grown
		}
		n, err := body.Read(b[len(b):cap(b)])
		*buf = b[:len(b)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			p.put(buf)
			return nil, decodeError(coding, err)
		}
	}
}
