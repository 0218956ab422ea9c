package spool

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"sort"

	"github.com/hirebridge/hirebridge/sinks"
)

// When bbolt cannot walk a file's tree (its root and branch pages, written
// last, were cut off or garbled), the records are still in its leaf pages.
// The page scan reads the file as bbolt lays it out (go.etcd.io/bbolt,
// internal/common/page.go): pages of the size the meta page gives, each
// with a 16-byte header (id, flags, count, overflow), a leaf's elements of
// 16 bytes (flags, pos, ksize, vsize) whose key and value sit pos bytes
// past the element; a small bucket's page inline in its parent's value,
// after a 16-byte bucket header. Every value under an 8-byte key is a
// candidate record or body; a record and a body are paired only when the
// record's checksum covers that body (and, with verify, the body hashes to
// the id), so no guess is ever published. Records of version 1 carry no
// checksum and are paired only with verify.
//
// Pages freed by bbolt but not reused yet still hold records the spool
// forwarded and removed: a scan finds them too. `hirebridge spool salvage`
// skips what the broker already holds, so they are not stored twice.

const (
	pageHeaderSize  = 16
	leafElementSize = 16
	leafPageFlag    = 0x02
	bucketLeafFlag  = 0x01
	boltMagic       = 0xED0CDAED
	bucketHeaderLen = 16
	// maxPageSpan bounds one page with its overflow, which a garbled
	// header could claim to be anything: more than the largest body the
	// bridge takes (HIREBRIDGE_MAX_BODY_BYTES is far below it).
	maxPageSpan = 64 << 20
)

// eachLeafValue calls fn with each value under an 8-byte key in the leaf
// pages of the file at path, reading one page (with its overflow) at a
// time. value is valid only during the call.
func eachLeafValue(path string, fn func(seq uint64, value []byte)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	head := make([]byte, 2*4096)
	n, _ := io.ReadFull(r, head[:4096])
	pageSize := metaPageSize(head[:n])
	if pageSize == 0 {
		return errors.New("no readable meta page: not a spool file")
	}
	// Skip the two meta pages.
	if _, err := r.Discard(2*pageSize - n); err != nil {
		return nil
	}
	page := make([]byte, pageSize)
	for {
		if _, err := io.ReadFull(r, page); err != nil {
			return nil
		}
		span := page
		if extra := int(binary.LittleEndian.Uint32(page[12:])); extra > 0 && binary.LittleEndian.Uint16(page[8:]) == leafPageFlag &&
			extra <= maxPageSpan/pageSize {
			span = make([]byte, pageSize*(extra+1))
			copy(span, page)
			// A file cut short ends inside the span: what was read is
			// scanned, values past the end are left.
			got, _ := io.ReadFull(r, span[pageSize:])
			span = span[:pageSize+got]
		}
		leafValues(span, fn, 0)
	}
}

// metaPageSize is the page size the first valid meta page gives; 4096,
// the usual, when it is garbled; 0 when the file is too short to be one.
func metaPageSize(data []byte) int {
	if len(data) < pageHeaderSize+12 {
		return 0
	}
	m := data[pageHeaderSize:]
	if binary.LittleEndian.Uint32(m) == boltMagic {
		if ps := int(binary.LittleEndian.Uint32(m[8:])); ps >= 512 && ps <= 1<<16 {
			return ps
		}
	}
	return 4096
}

// leafValues calls fn for the values under 8-byte keys of the leaf page p
// and of the inline pages in it; depth bounds the nesting a garbled page
// could fake.
func leafValues(p []byte, fn func(uint64, []byte), depth int) {
	if len(p) < pageHeaderSize || depth > 2 {
		return
	}
	flags, count := binary.LittleEndian.Uint16(p[8:]), int(binary.LittleEndian.Uint16(p[10:]))
	if flags != leafPageFlag || count == 0 || pageHeaderSize+count*leafElementSize > len(p) {
		return
	}
	for i := range count {
		at := pageHeaderSize + i*leafElementSize
		el := p[at:]
		eflags := binary.LittleEndian.Uint32(el)
		pos, ksize, vsize := int(binary.LittleEndian.Uint32(el[4:])), int(binary.LittleEndian.Uint32(el[8:])), int(binary.LittleEndian.Uint32(el[12:]))
		start, end := at+pos, at+pos+ksize+vsize
		if pos <= 0 || end > len(p) || end < start {
			continue
		}
		key, value := p[start:start+ksize], p[start+ksize:end]
		if eflags&bucketLeafFlag != 0 {
			// A bucket: inline when its root page id is 0.
			if len(value) > bucketHeaderLen && binary.LittleEndian.Uint64(value) == 0 {
				leafValues(value[bucketHeaderLen:], fn, depth+1)
			}
			continue
		}
		if ksize == 8 {
			fn(binary.BigEndian.Uint64(key), value)
		}
	}
}

// candidate is a value that reads as a record of a version this build
// knows.
type candidate struct {
	// raw is the record, kept only when the scan returns records.
	raw []byte
	// checked is set for records with a checksum: state is the checksum
	// of the record's JSON, to which a body's bytes are added; sum is what
	// the record says the whole comes to.
	checked    bool
	state, sum uint32
}

// scanPages pairs the records and bodies of the file's leaf pages in two
// reads: the records first, then each value under a record's key as its
// body. With keep it returns the records in sequence order, holding only
// what it returns; without, it only counts those whose checksum holds,
// holding 8 bytes a record (the bridge does so at start, within its
// memory limit, whatever the size of the file).
func scanPages(path string, verify func(*sinks.Message) bool, keep bool) ([]Salvaged, int64, error) {
	cands := map[uint64][]candidate{}
	err := eachLeafValue(path, func(seq uint64, v []byte) {
		ver, ok := version(v)
		switch {
		case !ok:
		case ver == recordVersion && len(v) > checksumSize:
			c := candidate{checked: true, state: crc32.Checksum(v[:len(v)-checksumSize], castagnoli),
				sum: binary.BigEndian.Uint32(v[len(v)-checksumSize:])}
			if keep {
				c.raw = bytes.Clone(v)
			}
			cands[seq] = append(cands[seq], c)
		case ver == 1 && verify != nil && keep:
			cands[seq] = append(cands[seq], candidate{raw: bytes.Clone(v)})
		}
	})
	if err != nil {
		return nil, 0, err
	}
	found, counted := map[uint64]Salvaged{}, map[uint64]bool{}
	err = eachLeafValue(path, func(seq uint64, body []byte) {
		if _, done := found[seq]; done || counted[seq] {
			return
		}
		for _, c := range cands[seq] {
			if c.checked && crc32.Update(c.state, castagnoli, body) != c.sum {
				continue
			}
			if !keep {
				counted[seq] = true
				return
			}
			m, _, err := decode(c.raw, body)
			if err != nil || (verify != nil && !verify(m)) {
				continue
			}
			m.Body = bytes.Clone(body)
			found[seq] = Salvaged{Seq: seq, Msg: m, AcceptedAt: acceptedAt(c.raw), Raw: c.raw, Body: m.Body}
			return
		}
	})
	if err != nil || !keep {
		return nil, int64(len(counted)), err
	}
	out := make([]Salvaged, 0, len(found))
	for _, s := range found {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out, int64(len(out)), nil
}
