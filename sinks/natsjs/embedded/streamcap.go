package embedded

import (
	"os"
	"path/filepath"
)

// AutomaticStreamMaxBytes is the cap of a stream the embedded server
// creates when HIREBRIDGE_NATS_STREAM_MAX_BYTES is automatic: half the
// free space of the file system holding the store under dataDir, or -1
// (no cap) where that cannot be read. The server acknowledges before its
// write completes, so a full disk can lose a few acknowledged events;
// with the cap, a full stream refuses new events (503) long before the
// disk fills. Before the first start the store does not exist yet: the
// nearest directory above it that does stands for its file system.
func AutomaticStreamMaxBytes(dataDir string) int64 {
	dir, err := filepath.Abs(filepath.Join(dataDir, "nats"))
	if err != nil {
		return -1
	}
	for {
		if _, err := os.Stat(dir); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return -1
		}
		dir = parent
	}
	free, ok := freeSpace(dir)
	if !ok {
		return -1
	}
	return int64(free / 2)
}
