package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/testfix"
	"github.com/kvportal/kvportal/internal/testpg"
	"github.com/kvportal/kvportal/store"
)

// What reading requests costs in the store, a page of 51 rows in each shape
// and one whole request: go test -run '^$' -bench RequestReads -benchmem
// ./store. The allocations are the number to watch: the database's time
// varies with the machine.
func BenchmarkRequestReads(b *testing.B) {
	ctx := context.Background()
	s := store.New(testpg.Pool(b))
	dev, err := s.CreateUser(ctx, "dev", domain.RoleRequester, "hash", nil)
	if err != nil {
		b.Fatal(err)
	}
	var last domain.Request
	for i := range 60 {
		last, err = s.CreateRequest(ctx, store.NewRequest{RequesterID: dev.ID,
			Params: testfix.Params(fmt.Sprintf("bench-%d", i)), PasswordSealed: []byte("sealed")})
		if err != nil {
			b.Fatal(err)
		}
	}
	// Half of them answered by the cloud, as a history page mixes them.
	if _, err := s.Pool().Exec(ctx, `UPDATE requests SET status = 'succeeded', instance_id = 'r-bp1' || id,
		result = jsonb_build_object('InstanceId', 'r-bp1' || id, 'Port', 6379) WHERE id % 2 = 0`); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		read func() error
	}{
		{"whole51", func() error {
			_, err := s.ListRequests(ctx, store.RequestFilter{RequesterID: dev.ID, Limit: 51})
			return err
		}},
		{"table51", func() error {
			_, err := s.ListRequests(ctx, store.RequestFilter{RequesterID: dev.ID, Limit: 51, ForTable: true})
			return err
		}},
		{"pending51", func() error {
			_, _, err := s.PendingRequests(ctx, 0, 0, 51)
			return err
		}},
		{"one", func() error {
			_, err := s.Request(ctx, last.ID)
			return err
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := c.read(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
