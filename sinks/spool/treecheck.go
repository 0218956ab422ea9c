package spool

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// checkTree holds a store file to what bbolt itself checks when it opens
// one for writing: with NoFreelistSync it rebuilds its free list by
// walking every bucket's pages (DB.freepages, tx_check.go), and any page
// out of bounds, referenced twice, of the wrong type, or with keys out of
// order panics in a goroutine of its own, where no recover can catch it:
// the process dies, and a restart dies the same way. So the same checks
// run here first, reading the file with plain reads (no mmap, so no
// faults), and a file that fails them is never handed to bbolt for
// writing.
//
// The layout is bbolt's (internal/common): meta pages 0 and 1 (magic,
// version 2, page size, flags, root bucket {root page, sequence}, free
// list page, high-water page, txid, FNV-64a checksum of the 56 bytes
// before it); branch elements of 16 bytes (pos, ksize, child page id),
// leaf elements of 16 bytes (flags, pos, ksize, vsize).
func checkTree(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	c := &treeCheck{f: f, size: fi.Size(), reachable: map[uint64]bool{}}
	meta, err := c.meta()
	if err != nil {
		return err
	}
	c.hwm = binary.LittleEndian.Uint64(meta[40:])
	if int64(c.hwm)*int64(c.pageSize) > c.size {
		return fmt.Errorf("the file is %d bytes, shorter than the %d pages its meta page counts: truncated", c.size, c.hwm)
	}
	return c.bucket(binary.LittleEndian.Uint64(meta[16:]), 0)
}

const (
	branchPageFlag     = 0x01
	metaSize           = 64
	metaChecksumOffset = 56
	boltVersion        = 2
	// maxTreeDepth bounds the recursion a garbled page could loop into.
	maxTreeDepth = 64
)

type treeCheck struct {
	f         *os.File
	size      int64
	pageSize  int
	hwm       uint64
	reachable map[uint64]bool
}

// meta returns the meta page bbolt would use: the valid one with the
// higher txid.
func (c *treeCheck) meta() ([]byte, error) {
	head := make([]byte, pageHeaderSize+metaSize)
	if _, err := c.f.ReadAt(head, 0); err != nil {
		return nil, fmt.Errorf("no meta page: %w", err)
	}
	c.pageSize = 4096
	if ps := int(binary.LittleEndian.Uint32(head[pageHeaderSize+8:])); validMeta(head[pageHeaderSize:]) && ps >= 512 && ps <= 1<<16 {
		c.pageSize = ps
	}
	second := make([]byte, pageHeaderSize+metaSize)
	if _, err := c.f.ReadAt(second, int64(c.pageSize)); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	a, b := head[pageHeaderSize:], second[pageHeaderSize:]
	if binary.LittleEndian.Uint64(b[48:]) > binary.LittleEndian.Uint64(a[48:]) {
		a, b = b, a
	}
	switch {
	case validMeta(a):
		return a, nil
	case validMeta(b):
		return b, nil
	}
	return nil, errors.New("neither meta page is valid")
}

func validMeta(m []byte) bool {
	if len(m) < metaSize || binary.LittleEndian.Uint32(m) != boltMagic || binary.LittleEndian.Uint32(m[4:]) != boltVersion {
		return false
	}
	h := fnv.New64a()
	_, _ = h.Write(m[:metaChecksumOffset])
	return h.Sum64() == binary.LittleEndian.Uint64(m[metaChecksumOffset:])
}

// page reads page id with its overflow, checking it is inside the file
// and the high-water mark, names itself, and is met once.
func (c *treeCheck) page(id uint64) ([]byte, error) {
	if id < 2 || id >= c.hwm {
		return nil, fmt.Errorf("page %d: out of bounds (%d pages)", id, c.hwm)
	}
	head := make([]byte, pageHeaderSize)
	if _, err := c.f.ReadAt(head, int64(id)*int64(c.pageSize)); err != nil {
		return nil, fmt.Errorf("page %d: %w", id, err)
	}
	if got := binary.LittleEndian.Uint64(head); got != id {
		return nil, fmt.Errorf("page %d: names itself page %d", id, got)
	}
	overflow := uint64(binary.LittleEndian.Uint32(head[12:]))
	if id+overflow >= c.hwm {
		return nil, fmt.Errorf("page %d: its %d overflow pages pass the end", id, overflow)
	}
	for i := id; i <= id+overflow; i++ {
		if c.reachable[i] {
			return nil, fmt.Errorf("page %d: referenced twice", i)
		}
		c.reachable[i] = true
	}
	p := make([]byte, int(overflow+1)*c.pageSize)
	if _, err := c.f.ReadAt(p, int64(id)*int64(c.pageSize)); err != nil {
		return nil, fmt.Errorf("page %d: %w", id, err)
	}
	return p, nil
}

// bucket checks the tree of the bucket rooted at page root (0: inline,
// which bbolt's check leaves out too), then the buckets inside it.
func (c *treeCheck) bucket(root uint64, depth int) error {
	if root == 0 {
		return nil
	}
	if depth > maxTreeDepth {
		return errors.New("buckets nested too deep")
	}
	var children []uint64
	if _, err := c.subtree(root, nil, nil, depth, &children); err != nil {
		return err
	}
	for _, child := range children {
		if err := c.bucket(child, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// subtree checks the page id and those below it: types, and every key
// sorted and within [min, max) of its parent; it returns the subtree's
// largest key, and adds the root pages of buckets found in its leaves.
func (c *treeCheck) subtree(id uint64, min, max []byte, depth int, children *[]uint64) ([]byte, error) {
	if depth > maxTreeDepth {
		return nil, fmt.Errorf("page %d: the tree is deeper than %d", id, maxTreeDepth)
	}
	p, err := c.page(id)
	if err != nil {
		return nil, err
	}
	flags, count := binary.LittleEndian.Uint16(p[8:]), int(binary.LittleEndian.Uint16(p[10:]))
	if pageHeaderSize+count*leafElementSize > len(p) {
		return nil, fmt.Errorf("page %d: %d elements do not fit", id, count)
	}
	key := func(i int) ([]byte, []byte, error) {
		at := pageHeaderSize + i*leafElementSize
		el := p[at:]
		var pos, ksize, vsize int
		if flags == branchPageFlag {
			pos, ksize = int(binary.LittleEndian.Uint32(el)), int(binary.LittleEndian.Uint32(el[4:]))
		} else {
			pos, ksize, vsize = int(binary.LittleEndian.Uint32(el[4:])), int(binary.LittleEndian.Uint32(el[8:])), int(binary.LittleEndian.Uint32(el[12:]))
		}
		start, end := at+pos, at+pos+ksize+vsize
		if pos <= 0 || ksize < 0 || vsize < 0 || end > len(p) || end < start {
			return nil, nil, fmt.Errorf("page %d: element %d points outside the page", id, i)
		}
		return p[start : start+ksize], p[start+ksize : end], nil
	}
	switch flags {
	case branchPageFlag:
		running := min
		var largest []byte
		for i := range count {
			k, _, err := key(i)
			if err != nil {
				return nil, err
			}
			if err := ordered(id, i, k, running, max); err != nil {
				return nil, err
			}
			upper := max
			if i < count-1 {
				if upper, _, err = key(i + 1); err != nil {
					return nil, err
				}
			}
			child := binary.LittleEndian.Uint64(p[pageHeaderSize+i*leafElementSize+8:])
			if largest, err = c.subtree(child, k, upper, depth+1, children); err != nil {
				return nil, err
			}
			running = largest
		}
		return largest, nil
	case leafPageFlag:
		running := min
		for i := range count {
			k, v, err := key(i)
			if err != nil {
				return nil, err
			}
			if err := ordered(id, i, k, running, max); err != nil {
				return nil, err
			}
			running = k
			if binary.LittleEndian.Uint32(p[pageHeaderSize+i*leafElementSize:])&bucketLeafFlag != 0 {
				if len(v) < bucketHeaderLen {
					return nil, fmt.Errorf("page %d: bucket %q has no header", id, k)
				}
				*children = append(*children, binary.LittleEndian.Uint64(v))
			}
		}
		return running, nil
	}
	return nil, fmt.Errorf("page %d: neither a branch nor a leaf (flags %#x)", id, flags)
}

// ordered is bbolt's verifyKeyOrder: the first key at or above the
// ancestor's, each above the one before, all below the next ancestor's.
func ordered(id uint64, i int, k, prev, max []byte) error {
	switch {
	case i == 0 && prev != nil && bytes.Compare(prev, k) > 0,
		i > 0 && bytes.Compare(prev, k) >= 0:
		return fmt.Errorf("page %d: key %d (%x) out of order", id, i, k)
	case max != nil && bytes.Compare(k, max) >= 0:
		return fmt.Errorf("page %d: key %d (%x) beyond its parent's next key", id, i, k)
	}
	return nil
}
