package dockerimage

import (
	"archive/tar"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Stand-ins for the Dockerfile's base images, for an engine that reaches
// no registry: root file systems written here, which `docker import` turns
// into images tagged with the base images' names. They hold what the
// Dockerfile's stages use of the real images, and no more, so that a stage
// that starts to need more fails here as well: the Go stand-in has Go and a
// POSIX shell but no Debian; the runtime stand-in has no shell at all, like
// distroless.

// standInLabel marks an image as a stand-in (its value says of what), so
// that a real image under the same name is never replaced, and a stand-in
// left by an interrupted run is.
const standInLabel = "io.cmdb-mcp.test.stand-in"

// nonroot is distroless's unprivileged user and group.
const nonroot = 65532

// rootfs writes a root file system as a tar, every entry owned by root
// unless said otherwise.
type rootfs struct {
	tw  *tar.Writer
	now time.Time
}

func newRootfs(w io.Writer) *rootfs { return &rootfs{tw: tar.NewWriter(w), now: time.Now()} }

func (r *rootfs) dir(name string, mode int64, owner int) error {
	return r.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: mode, Uid: owner, Gid: owner, ModTime: r.now})
}

func (r *rootfs) file(name string, mode int64, data []byte) error {
	if err := r.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(data)), ModTime: r.now}); err != nil {
		return err
	}
	_, err := r.tw.Write(data)
	return err
}

func (r *rootfs) copyFile(name string, mode int64, src string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if err := r.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: st.Size(), ModTime: r.now}); err != nil {
		return err
	}
	_, err = io.Copy(r.tw, f)
	return err
}

func (r *rootfs) symlink(name, target string) error {
	return r.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777, ModTime: r.now})
}

func (r *rootfs) close() error { return r.tw.Close() }

// skipInGoroot tells what of a Go installation a build never reads: its
// own tests, test data and documentation (a third of its size).
func skipInGoroot(rel string, d fs.DirEntry) bool {
	if d.IsDir() {
		switch rel {
		case "test", "api", "doc", "misc":
			return true
		}
		return d.Name() == "testdata"
	}
	return strings.HasSuffix(rel, "_test.go")
}

// goStandIn is what the Go stand-in is made of.
type goStandIn struct {
	goroot  string   // the Go installation to copy to /usr/local/go
	busybox string   // a static busybox
	applets []string // busybox --list
	caFile  string   // the CA bundle, for go mod download over HTTPS
}

// write writes the Go stand-in's root file system, laid out as the golang
// image lays it out: Go in /usr/local/go, GOPATH /go.
func (g goStandIn) write(w io.Writer) error {
	r := newRootfs(w)
	for _, d := range []struct {
		name string
		mode int64
	}{{"bin", 0o755}, {"etc", 0o755}, {"etc/ssl", 0o755}, {"etc/ssl/certs", 0o755}, {"root", 0o700}, {"tmp", 0o1777}, {"usr", 0o755}, {"usr/local", 0o755}, {"go", 0o1777}, {"go/bin", 0o1777}, {"go/src", 0o1777}} {
		if err := r.dir(d.name, d.mode, 0); err != nil {
			return err
		}
	}
	if err := r.copyFile("bin/busybox", 0o755, g.busybox); err != nil {
		return err
	}
	for _, a := range g.applets {
		if a == "busybox" || strings.ContainsAny(a, "/ ") {
			continue
		}
		if err := r.symlink("bin/"+a, "busybox"); err != nil {
			return err
		}
	}
	if err := r.copyFile("etc/ssl/certs/ca-certificates.crt", 0o644, g.caFile); err != nil {
		return err
	}
	if err := r.file("etc/passwd", 0o644, []byte("root:x:0:0:root:/root:/bin/sh\n")); err != nil {
		return err
	}
	if err := r.file("etc/group", 0o644, []byte("root:x:0:\n")); err != nil {
		return err
	}
	err := filepath.WalkDir(g.goroot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(g.goroot, path)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(filepath.Join("usr/local/go", rel))
		if rel == "." {
			return r.dir(name, 0o755, 0)
		}
		if skipInGoroot(filepath.ToSlash(rel), d) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return r.dir(name, int64(info.Mode().Perm()), 0)
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return r.symlink(name, target)
		case d.Type().IsRegular():
			return r.copyFile(name, int64(info.Mode().Perm()), path)
		}
		return nil // nothing else belongs in a Go installation
	})
	if err != nil {
		return fmt.Errorf("copying %s: %w", g.goroot, err)
	}
	return r.close()
}

// changes returns the image configuration the golang image has and a
// build may rely on, as `docker import --change` instructions; goEnv adds
// the module settings of the Go that the stand-in copies (its GOPROXY, so
// that go mod download in the build asks the proxy the tests use).
func (g goStandIn) changes(version string, goEnv map[string]string) []string {
	c := []string{
		"ENV PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"ENV GOLANG_VERSION=" + version,
		"ENV GOPATH=/go",
		"ENV GOTOOLCHAIN=local",
		"WORKDIR /go",
		"LABEL " + standInLabel + "=golang",
	}
	for _, k := range slices.Sorted(maps.Keys(goEnv)) {
		c = append(c, "ENV "+k+"="+goEnv[k])
	}
	return c
}

// writeRuntimeStandIn writes the runtime stand-in's root file system: what
// distroless/static has that the image uses (the nonroot user, CA
// certificates, /tmp), and no shell.
func writeRuntimeStandIn(w io.Writer, caFile string) error {
	r := newRootfs(w)
	for _, d := range []struct {
		name  string
		mode  int64
		owner int
	}{{"etc", 0o755, 0}, {"etc/ssl", 0o755, 0}, {"etc/ssl/certs", 0o755, 0}, {"home", 0o755, 0}, {"home/nonroot", 0o700, nonroot}, {"root", 0o700, 0}, {"tmp", 0o1777, 0}} {
		if err := r.dir(d.name, d.mode, d.owner); err != nil {
			return err
		}
	}
	passwd := fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:%d:%d:nonroot:/home/nonroot:/sbin/nologin\n", nonroot, nonroot)
	group := fmt.Sprintf("root:x:0:\nnobody:x:65534:\nnonroot:x:%d:\n", nonroot)
	if err := r.file("etc/passwd", 0o644, []byte(passwd)); err != nil {
		return err
	}
	if err := r.file("etc/group", 0o644, []byte(group)); err != nil {
		return err
	}
	if err := r.copyFile("etc/ssl/certs/ca-certificates.crt", 0o644, caFile); err != nil {
		return err
	}
	return r.close()
}

// runtimeChanges is the configuration of distroless's nonroot variant.
func runtimeChanges() []string {
	return []string{
		"ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
		fmt.Sprintf("USER %d", nonroot),
		"WORKDIR /home/nonroot",
		"LABEL " + standInLabel + "=distroless",
	}
}
