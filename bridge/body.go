package bridge

import (
	"bytes"
	"io"
	"net/http"
	"sync"
)

// bodyPool recycles request buffers: normalization writes a new body, so the
// raw bytes are free once the request is answered. Buffers that grew past
// maxPooledBody are dropped so one large request does not pin memory.
type bodyPool struct{ pool sync.Pool }

const maxPooledBody = 64 << 10

func (p *bodyPool) get() *bytes.Buffer {
	if b, ok := p.pool.Get().(*bytes.Buffer); ok {
		return b
	}
	return bytes.NewBuffer(make([]byte, 0, 4096))
}

func (p *bodyPool) put(b *bytes.Buffer) {
	if b.Cap() > maxPooledBody {
		return
	}
	b.Reset()
	p.pool.Put(b)
}

// readBody reads at most limit bytes; more is an *http.MaxBytesError.
func readBody(w http.ResponseWriter, r *http.Request, buf *bytes.Buffer, limit int64) ([]byte, error) {
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength))
	}
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit)); err != nil && err != io.EOF {
		return nil, err
	}
	return buf.Bytes(), nil
}
