package bench

import (
	"testing"

	"gateway/test/e2e/harness"
)

func TestNewestRecordIsTheHighestOffset(t *testing.T) {
	records := []harness.TailRecord{{Offset: 3, TimestampMs: 30}, {Offset: 7, TimestampMs: 70}, {Offset: 5, TimestampMs: 90}}
	if r := NewestRecord(records); r == nil || r.Offset != 7 || r.TimestampMs != 70 {
		t.Errorf("NewestRecord = %+v", r)
	}
	if NewestRecord(nil) != nil {
		t.Error("NewestRecord(nil) is not nil")
	}
}

func TestMaxRevision(t *testing.T) {
	records := []harness.TailRecord{{Revision: 4}, {Revision: 9}, {Revision: 2}}
	if got := MaxRevision(records); got != 9 {
		t.Errorf("MaxRevision = %d", got)
	}
	if got := MaxRevision(nil); got != 0 {
		t.Errorf("MaxRevision(nil) = %d", got)
	}
}
