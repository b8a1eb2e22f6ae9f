// Package testfix holds what the portal's tests share, so that each test
// says only what is particular to it: a valid request and its form input, a
// log destination safe for concurrent writers. internal/testpg gives each
// test its database; this package gives it the rest.
//
// Tests of package domain itself cannot use it (it imports domain); they
// keep fixtures of their own.
package testfix

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/secret"
	"github.com/kvportal/kvportal/store"
)

// A small Redis instance in cn-hangzhou: offered by the simulator's catalog
// in every zone of the region, so requests built of these validate.
const (
	InstanceClass = "redis.master.small.default"
	RegionID      = "cn-hangzhou"
	ZoneID        = "cn-hangzhou-h"
	// Password is valid for CreateInstance; tests look for it in pages,
	// logs and audit details to prove it never shows.
	Password = "Sup3rSecretPw1"
)

// Params are a valid request's parameters as the store keeps them: a small
// Redis 2.8 instance named orders-cache in RegionID, pay as you go, on a
// classic network, with token and no zone (the cloud picks one). The
// password is not among them: the store keeps it sealed, apart.
func Params(token string) domain.Params {
	return domain.Params{InstanceName: "orders-cache", InstanceClass: InstanceClass, RegionId: RegionID,
		ChargeType: domain.ChargePostPaid, NetworkType: domain.NetworkClassic, InstanceType: domain.TypeRedis,
		EngineVersion: domain.DefaultEngineVersion, Token: token}
}

// Input is a valid CreateInstance form as typed, with Password, in ZoneID,
// the Token left for the portal to generate; each edit then changes it.
func Input(edits ...func(domain.Input)) domain.Input {
	in := domain.Input{"InstanceName": "orders-cache", "Password": Password, "InstanceClass": InstanceClass,
		"RegionId": RegionID, "ZoneId": ZoneID}
	for _, edit := range edits {
		edit(in)
	}
	return in
}

// Valid is in validated against cat (nil: the reference's rules alone); the
// test stops if in is not valid.
func Valid(t testing.TB, in domain.Input, cat *domain.Catalog) domain.Params {
	t.Helper()
	p, problems := domain.Validate(in, cat)
	if len(problems) > 0 {
		t.Fatalf("test parameters invalid: %v", problems)
	}
	return p
}

// Submit stores p as a pending request of requesterID, as the form does:
// its password, if it has one, sealed by sealer and bound to its token.
func Submit(t testing.TB, st *store.Store, sealer *secret.Sealer, requesterID int64, p domain.Params) domain.Request {
	t.Helper()
	var sealed []byte
	if p.Password != "" {
		var err error
		if sealed, err = sealer.Seal([]byte(p.Password), []byte(p.Token)); err != nil {
			t.Fatal(err)
		}
	}
	r, err := st.CreateRequest(context.Background(), store.NewRequest{RequesterID: requesterID, Params: p, PasswordSealed: sealed})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// SyncBuffer is a bytes.Buffer safe for concurrent writers, and to read
// while they write: the destination of a test's logs or a command's output.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String is what was written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Catalog is what the simulator's catalog would offer, in small: Redis 2.8
// and 4.0 in two zones of RegionID (the small and mid classes), and Redis
// 4.0 in one zone of cn-shanghai (the small class).
func Catalog() *domain.Catalog {
	cat := &domain.Catalog{FetchedAt: time.Now(), Regions: []domain.Region{
		{RegionId: RegionID, LocalName: "China (Hangzhou)", Zones: []domain.Zone{{ZoneId: "cn-hangzhou-b"}, {ZoneId: ZoneID}}},
		{RegionId: "cn-shanghai", LocalName: "China (Shanghai)", Zones: []domain.Zone{{ZoneId: "cn-shanghai-b"}}},
	}}
	for _, z := range []string{"cn-hangzhou-b", ZoneID} {
		for _, v := range []string{"2.8", "4.0"} {
			cat.Offers = append(cat.Offers,
				domain.Offer{RegionId: RegionID, ZoneId: z, InstanceType: domain.TypeRedis, EngineVersion: v, InstanceClass: InstanceClass, CapacityMB: 1024},
				domain.Offer{RegionId: RegionID, ZoneId: z, InstanceType: domain.TypeRedis, EngineVersion: v, InstanceClass: "redis.master.mid.default", CapacityMB: 2048})
		}
	}
	cat.Offers = append(cat.Offers, domain.Offer{RegionId: "cn-shanghai", ZoneId: "cn-shanghai-b", InstanceType: domain.TypeRedis,
		EngineVersion: "4.0", InstanceClass: InstanceClass, CapacityMB: 1024})
	return cat
}

// StaticCatalog is a catalog source that always knows cat (a
// workflow.CatalogSource).
type StaticCatalog struct{ Cat *domain.Catalog }

// Get returns the catalog.
func (s StaticCatalog) Get(context.Context) *domain.Catalog { return s.Cat }

// KeptPassword is what the store keeps of request id's password: its sealed
// form (nil once erased) and until when. Nothing of the portal reads it
// outside an attempt (which gets it from StartAttempt's answer), so tests
// ask the database.
func KeptPassword(t testing.TB, st *store.Store, id int64) (sealed []byte, keptUntil *time.Time) {
	t.Helper()
	if err := st.Pool().QueryRow(context.Background(),
		`SELECT password_sealed, password_kept_until FROM requests WHERE id = $1`, id).Scan(&sealed, &keptUntil); err != nil {
		t.Fatalf("kept password of request %d: %v", id, err)
	}
	return sealed, keptUntil
}

// Clock is the one settable clock of tests: a domain.Clock that moves only
// when the test moves it, given to every part of a portal under test (its
// sessions, pages, API, workflow, provisioner) so that they agree.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock is a clock set at now.
func NewClock(now time.Time) *Clock { return &Clock{now: now} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Set puts the clock at t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}
