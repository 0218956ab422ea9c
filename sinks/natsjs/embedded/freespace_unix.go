//go:build unix

package embedded

import "golang.org/x/sys/unix"

// freeSpace is the space available to this process on dir's file system.
func freeSpace(dir string) (free uint64, known bool) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, false
	}
	return uint64(st.Bavail) * uint64(st.Bsize), true
}
