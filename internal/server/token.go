package server

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// generateToken makes a bearer token for a server started without one, and
// writes it to a file only this user can read, so that the user's own MCP
// clients can send it while other local users cannot: the server holds a
// NetBox write token, and loopback is open to every user of the machine.
// The file is named for the port, so that servers on several ports keep
// their own.
func generateToken(bound net.Addr) (token, file string, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", fmt.Errorf("generate a bearer token: %w", err)
	}
	token = hex.EncodeToString(b[:])
	dir, err := tokenDir()
	if err != nil {
		return "", "", err
	}
	port := "0"
	if tcp, ok := bound.(*net.TCPAddr); ok {
		port = strconv.Itoa(tcp.Port)
	}
	file = filepath.Join(dir, "http-"+port+".token")
	if err := writePrivate(file, []byte(token+"\n")); err != nil {
		return "", "", fmt.Errorf("write the generated bearer token to %s: %w (or give one with CMDB_AUTH_TOKEN_FILE)", file, err)
	}
	return token, file, nil
}

// tokenDir is cmdb-mcp's folder in $XDG_RUNTIME_DIR (private to the user,
// gone at logout), else in the user's cache folder, made private.
func tokenDir() (string, error) {
	base := os.Getenv("XDG_RUNTIME_DIR")
	if base == "" {
		var err error
		if base, err = os.UserCacheDir(); err != nil {
			return "", fmt.Errorf("no folder for the generated bearer token (neither XDG_RUNTIME_DIR nor HOME is set): give a token with CMDB_AUTH_TOKEN_FILE, or --insecure-no-auth")
		}
	}
	dir := filepath.Join(base, "cmdb-mcp")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("make %s for the generated bearer token: %w", dir, err)
	}
	// A folder someone else made, or that others can enter, would let
	// them swap or read the file.
	info, err := os.Lstat(dir)
	if err != nil {
		return "", err
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if !info.IsDir() || (ok && int(st.Uid) != os.Getuid()) {
		return "", fmt.Errorf("%s is not a folder of this user: remove it, or give a token with CMDB_AUTH_TOKEN_FILE", dir)
	}
	if info.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return "", fmt.Errorf("make %s private: %w", dir, err)
		}
	}
	return dir, nil
}

// writePrivate writes data to path with mode 0600, replacing any file
// there at once (a reader never sees half a token).
func writePrivate(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".token-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		_ = tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return pe.Err
		}
		return err
	}
	return nil
}
