package pgembed

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// account is the unprivileged user initdb and postgres run as when the portal
// runs as root (they refuse to run as root). A nil account means "as
// ourselves".
type account struct {
	name     string
	uid, gid uint32
}

func serverAccount() (*account, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root: Postgres refuses to run as root and there is no unprivileged 'postgres' account to run it as (create one, run the portal as another user, or set DATABASE_URL): %w", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("account postgres: unexpected uid/gid %s/%s", u.Uid, u.Gid)
	}
	return &account{name: u.Username, uid: uint32(uid), gid: uint32(gid)}, nil
}

func (a *account) sysProcAttr() *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{Setpgid: true}
	if a != nil {
		attr.Credential = &syscall.Credential{Uid: a.uid, Gid: a.gid}
	}
	return attr
}

// chown hands paths (recursively) to the account.
func (a *account) chown(paths ...string) error {
	if a == nil {
		return nil
	}
	for _, p := range paths {
		err := filepath.Walk(p, func(path string, _ os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			return os.Lchown(path, int(a.uid), int(a.gid))
		})
		if err != nil {
			return fmt.Errorf("hand %s to %s: %w", p, a.name, err)
		}
	}
	return nil
}

// notTraversable says that the account can't enter a directory on the way.
type notTraversable struct {
	account string
	dir     string
	mode    os.FileMode
}

func (e *notTraversable) Error() string {
	return fmt.Sprintf("the %s account cannot enter %s (mode %v)", e.account, e.dir, e.mode)
}

// checkTraversable makes sure the account can reach dir: every parent must be
// searchable by others (a root-owned 0700 directory such as /root is not).
func checkTraversable(dir string, a *account) error {
	if a == nil {
		return nil
	}
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return err
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if ok && st.Uid != a.uid && fi.Mode().Perm()&0o001 == 0 {
			return &notTraversable{account: a.name, dir: d, mode: fi.Mode().Perm()}
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}
