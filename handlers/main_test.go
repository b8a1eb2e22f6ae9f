package handlers_test

import (
	"testing"

	"github.com/kvportal/kvportal/internal/testpg"
)

func TestMain(m *testing.M) { testpg.Main(m) }
