package pgembed

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestFindBinDirOrder(t *testing.T) {
	dir := t.TempDir()
	mk := func(d string) string {
		p := filepath.Join(dir, d)
		_ = os.MkdirAll(p, 0o755)
		for _, f := range []string{"initdb", "postgres"} {
			if err := os.WriteFile(filepath.Join(p, f), []byte("#!/bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		return p
	}
	v14, v16 := mk("14/bin"), mk("16/bin")
	none := func(string) (string, error) { return "", errors.New("no") }
	glob := func(string) ([]string, error) { return []string{v14, v16}, nil }

	got, err := findBinDir(none, func() string { return "" }, glob)
	if err != nil || got != v16 {
		t.Fatalf("want the newest major %s, got %s %v", v16, got, err)
	}
	onPath := mk("path")
	got, _ = findBinDir(func(string) (string, error) { return filepath.Join(onPath, "postgres"), nil }, func() string { return v14 }, glob)
	if got != onPath {
		t.Fatalf("PATH first: got %s", got)
	}
	got, _ = findBinDir(none, func() string { return v14 }, glob)
	if got != v14 {
		t.Fatalf("pg_config second: got %s", got)
	}
	_, err = findBinDir(none, func() string { return "" }, func(string) ([]string, error) { return nil, nil })
	if !errors.Is(err, ErrNoBinaries) {
		t.Fatalf("want ErrNoBinaries, got %v", err)
	}
}
