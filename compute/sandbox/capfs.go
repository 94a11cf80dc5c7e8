package sandbox

import (
	"io/fs"
	"sync"

	"github.com/tetratelabs/wazero"
	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/experimental/sysfs"
)

// capFS is the output directory: a host directory whose writes are counted
// against a byte and a file budget. Links and symlinks are refused, so the
// guest cannot reach outside the directory through one, and every byte that
// could grow a file (writes, writes past the end, truncation upwards) is
// charged, so a sparse file cannot dodge the cap.
type capFS struct {
	experimentalsys.FS
	mu       sync.Mutex
	maxBytes int64
	maxFiles int
	bytes    int64
	files    int
	exceeded bool
}

func newCapFS(dir string, maxBytes int64, maxFiles int) *capFS {
	return &capFS{FS: sysfs.DirFS(dir), maxBytes: maxBytes, maxFiles: maxFiles}
}

func (c *capFS) mount(cfg wazero.FSConfig) wazero.FSConfig {
	return cfg.(sysfs.FSConfig).WithSysFSMount(c, OutputDir)
}

func (c *capFS) over() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.exceeded
}

// charge takes n bytes from the budget, or marks the cap exceeded.
func (c *capFS) charge(n int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n < 0 || c.bytes+n > c.maxBytes {
		c.exceeded = true
		return false
	}
	c.bytes += n
	return true
}

// OpenFile charges a file for every open that may create one and refuses
// the log files' names.
func (c *capFS) OpenFile(path string, flag experimentalsys.Oflag, perm fs.FileMode) (experimentalsys.File, experimentalsys.Errno) {
	if flag&experimentalsys.O_CREAT != 0 {
		if path == StdoutFile || path == StderrFile {
			return nil, experimentalsys.EPERM
		}
		if _, errno := c.FS.Stat(path); errno == experimentalsys.ENOENT {
			c.mu.Lock()
			if c.files+1 > c.maxFiles {
				c.exceeded = true
				c.mu.Unlock()
				return nil, experimentalsys.EPERM
			}
			c.files++
			c.mu.Unlock()
		}
	}
	f, errno := c.FS.OpenFile(path, flag, perm)
	if errno != 0 {
		return nil, errno
	}
	if flag&(experimentalsys.O_WRONLY|experimentalsys.O_RDWR|experimentalsys.O_TRUNC|experimentalsys.O_APPEND) == 0 && flag&experimentalsys.O_CREAT == 0 {
		return f, 0
	}
	return &capFile{File: f, fs: c}, 0
}

// Mkdir is refused: outputs are flat, as the chain names them.
func (c *capFS) Mkdir(_ string, _ fs.FileMode) experimentalsys.Errno { return experimentalsys.EPERM }

// Rename is refused: a rename onto a log file's name would forge it.
func (c *capFS) Rename(_, _ string) experimentalsys.Errno { return experimentalsys.EPERM }

// Link is refused: a hard link would let a file be counted once and listed twice.
func (c *capFS) Link(_, _ string) experimentalsys.Errno { return experimentalsys.EPERM }

// Symlink is refused: a relative link could point outside the directory.
func (c *capFS) Symlink(_, _ string) experimentalsys.Errno { return experimentalsys.EPERM }

// capFile charges growth of one open file.
type capFile struct {
	experimentalsys.File
	fs *capFS
}

func (f *capFile) size() int64 {
	st, errno := f.File.Stat()
	if errno != 0 {
		return 0
	}
	return st.Size
}

// Write charges its bytes and, after a seek past the end, the gap.
func (f *capFile) Write(buf []byte) (int, experimentalsys.Errno) {
	grow := int64(len(buf))
	if !f.File.IsAppend() {
		if pos, errno := f.File.Seek(0, 1); errno == 0 {
			if gap := pos - f.size(); gap > 0 {
				grow += gap
			}
		}
	}
	if !f.fs.charge(grow) {
		return 0, experimentalsys.EPERM
	}
	return f.File.Write(buf)
}

func (f *capFile) Pwrite(buf []byte, off int64) (int, experimentalsys.Errno) {
	grow := int64(len(buf))
	if gap := off - f.size(); gap > 0 {
		grow += gap
	}
	if !f.fs.charge(grow) {
		return 0, experimentalsys.EPERM
	}
	return f.File.Pwrite(buf, off)
}

func (f *capFile) Truncate(size int64) experimentalsys.Errno {
	if grow := size - f.size(); grow > 0 && !f.fs.charge(grow) {
		return experimentalsys.EPERM
	}
	return f.File.Truncate(size)
}
