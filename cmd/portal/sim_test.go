package main

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/internal/testfix"
	"github.com/kvportal/kvportal/rkvstore"
	"github.com/kvportal/kvportal/simulator"
)

func TestSimChangesAnInstanceBehindThePortalsBack(t *testing.T) {
	t.Parallel()
	sim, err := simulator.New(simulator.Config{AccessKeyID: "k", AccessKeySecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := simulator.Start("127.0.0.1:0", sim)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	client, err := rkvstore.NewClient(rkvstore.ClientConfig{Endpoint: srv.Endpoint(), AccessKeyID: "k", AccessKeySecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	p, problems := domain.Validate(domain.Input{
		"InstanceClass": testfix.InstanceClass, "RegionId": "cn-hangzhou", "Password": "Qa123456", "Token": domain.NewToken(),
	}, sim.Catalog())
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	made, err := client.CreateInstance(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}

	env := map[string]string{"PORTAL_SIM_ACCESS_KEY_ID": "k", "PORTAL_SIM_ACCESS_KEY_SECRET": "s"}
	portal := func(args ...string) (string, error) {
		var out strings.Builder
		err := run(t.Context(), append([]string{"sim"}, args...), func(k string) string { return env[k] }, strings.NewReader(""), &out, io.Discard)
		return out.String(), err
	}
	at := "--endpoint=" + srv.Endpoint()
	if out, err := portal("rename", at, "--instance-id", made.InstanceId, "--name", "renamed-outside"); err != nil || !strings.Contains(out, made.InstanceId) {
		t.Fatalf("rename: %q %v", out, err)
	}
	if _, err := portal("resize", at, "--instance-id", made.InstanceId, "--class", "redis.master.mid.default"); err != nil {
		t.Fatal(err)
	}
	attr, err := client.DescribeInstanceAttribute(t.Context(), "cn-hangzhou", made.InstanceId)
	if err != nil || attr.InstanceName != "renamed-outside" {
		t.Fatalf("after rename: %+v %v", attr, err)
	}
	if got := sim.Instances()[0].InstanceClass; got != "redis.master.mid.default" {
		t.Fatalf("class after resize: %s", got)
	}
	if _, err := portal("delete", at, "--instance-id", made.InstanceId); err != nil {
		t.Fatal(err)
	}
	_, err = client.DescribeInstanceAttribute(t.Context(), "cn-hangzhou", made.InstanceId)
	if rkvstore.Classify(err).Code != rkvstore.CodeInstanceNotFound {
		t.Fatalf("after delete: %v", err)
	}

	if _, err := portal("delete", at, "--instance-id", made.InstanceId); err == nil || !strings.Contains(err.Error(), "InvalidInstanceId.NotFound") {
		t.Errorf("second delete: %v", err)
	}
	if _, err := portal("rename", at, "--instance-id", made.InstanceId); !errors.Is(err, errUsage) {
		t.Errorf("rename without a name: %v", err)
	}
	if _, err := portal("delete", at, "--instance-id", made.InstanceId, "--access-key-secret", "wrong"); err == nil || !strings.Contains(err.Error(), "SignatureDoesNotMatch") {
		t.Errorf("a wrong secret: %v", err)
	}
}
