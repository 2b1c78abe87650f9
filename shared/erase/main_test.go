package erase_test

import (
	"os"
	"testing"

	"github.com/wedsync/webhooks/shared/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }
