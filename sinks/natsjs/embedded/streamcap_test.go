package embedded

import (
	"path/filepath"
	"testing"
)

// Before the first start the data directory may not exist: the cap is
// read from the file system it will be made on, not given up.
func TestAutomaticStreamMaxBytesBeforeTheStoreExists(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	free, ok := freeSpace(dir)
	if !ok {
		t.Skip("free space cannot be read here")
	}
	got := AutomaticStreamMaxBytes(filepath.Join(dir, "a", "b"))
	// Others write to the same disk meanwhile: within a tenth.
	if want := int64(free / 2); got < want-want/10 || got > want+want/10 {
		t.Errorf("AutomaticStreamMaxBytes = %d, want about half of %d", got, free)
	}
}
