// Package idleimage makes the smallest Docker image that can idle: a
// static busybox, with sh and sleep as links to it, imported from a tar as
// `docker import` does. Tests and the bench start containers from it
// without any registry.
package idleimage

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
)

// BusyboxEnv names a statically linked busybox to use instead of
// /bin/busybox (which busybox-static installs).
const BusyboxEnv = "CMDB_BUSYBOX"

// Cmd is what a container of the image runs unless told otherwise.
const Cmd = `CMD ["/bin/sleep", "3600"]`

// Busybox returns the busybox to build the image from: $CMDB_BUSYBOX, or
// /bin/busybox. It must be statically linked, since the image has no C
// library; the error says how to get one.
func Busybox() (string, error) {
	bin := os.Getenv(BusyboxEnv)
	if bin == "" {
		bin = "/bin/busybox"
	}
	if err := checkStatic(bin); err != nil {
		return "", fmt.Errorf("a static busybox is needed (apt-get install busybox-static, or set %s): %w", BusyboxEnv, err)
	}
	return bin, nil
}

func checkStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked", path)
		}
	}
	return nil
}

// Rootfs returns the image's root file system as a tar: bin/busybox, and
// bin/sh and bin/sleep linked to it.
func Rootfs(bin string) ([]byte, error) {
	data, err := os.ReadFile(bin)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	now := time.Now()
	headers := []*tar.Header{
		{Typeflag: tar.TypeDir, Name: "bin/", Mode: 0o755, ModTime: now},
		{Typeflag: tar.TypeReg, Name: "bin/busybox", Mode: 0o755, Size: int64(len(data)), ModTime: now},
	}
	for _, h := range headers {
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
	}
	if _, err := tw.Write(data); err != nil {
		return nil, err
	}
	for _, applet := range []string{"sh", "sleep"} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: "bin/" + applet, Linkname: "busybox", Mode: 0o777, ModTime: now}); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Import builds the image from bin and imports it as ref through the
// Engine API.
func Import(ctx context.Context, cli *client.Client, bin, ref string) error {
	rootfs, err := Rootfs(bin)
	if err != nil {
		return err
	}
	out, err := cli.ImageImport(ctx, image.ImportSource{Source: bytes.NewReader(rootfs), SourceName: "-"}, ref,
		image.ImportOptions{Changes: []string{Cmd}})
	if err != nil {
		return fmt.Errorf("docker import: %w", err)
	}
	defer out.Close()
	// Errors after the upload started come inside the progress stream.
	dec := json.NewDecoder(out)
	for {
		var msg struct {
			Error string `json:"error"`
		}
		err := dec.Decode(&msg)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("docker import: %w", err)
		}
		if msg.Error != "" {
			return fmt.Errorf("docker import: %s", msg.Error)
		}
	}
}
