package ingestd

import (
	"bytes"
	"fmt"
	"os"

	"github.com/parquet-go/parquet-go"

	"emergence/device/event"
	"emergence/device/ingest"
)

// RowGroupRows is the number of rows in one Parquet row group.
const RowGroupRows = 10_000

// Row is one accepted event in an epoch's Parquet file. Event is the
// event's JSON as the Merkle leaf hashes it, so a file is enough to
// rebuild the root and any inclusion proof.
type Row struct {
	Subject   string `parquet:"subject" json:"subject"`
	TimeMs    int64  `parquet:"time_ms" json:"time_ms"`
	Type      string `parquet:"type" json:"type"`
	Source    string `parquet:"source" json:"source"`
	ID        string `parquet:"id" json:"id"`
	Owner     string `parquet:"owner" json:"owner"`
	LatE7     int64  `parquet:"lat_e7" json:"lat_e7"`
	LonE7     int64  `parquet:"lon_e7" json:"lon_e7"`
	SpeedMMS  int64  `parquet:"speed_mm_s" json:"speed_mm_s"`
	OdometerM uint64 `parquet:"odometer_m" json:"odometer_m"`
	Tile      string `parquet:"tile" json:"tile"`
	Frames    uint32 `parquet:"frames" json:"frames"`
	Event     string `parquet:"event" json:"event"`
}

// rowOf flattens an accepted event.
func rowOf(a ingest.Accepted) Row {
	r := Row{Subject: a.Event.Subject, TimeMs: a.Millis, Type: a.Event.Type, Source: a.Event.Source, ID: a.Event.ID,
		Owner: a.Owner, Event: string(a.Event.Encode())}
	switch d := a.Data.(type) {
	case *event.VehicleStatus:
		r.LatE7, r.LonE7, r.SpeedMMS, r.OdometerM = d.LatE7, d.LonE7, d.SpeedMMS, d.OdometerM
	case *event.RoadImagery:
		r.Tile, r.Frames = d.Tile, d.Frames
	}
	return r
}

// writeRows writes rows (already in (subject, time, type, source, id)
// order, the order of ingest.Node.Accepted) to path as Parquet with
// RowGroupRows rows per row group, declaring the sort order.
func writeRows(path string, rows []Row) error {
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[Row](&buf,
		parquet.CreatedBy("emergence", "1", ""),
		parquet.MaxRowsPerRowGroup(RowGroupRows),
		parquet.SortingWriterConfig(parquet.SortingColumns(parquet.Ascending("subject"), parquet.Ascending("time_ms"))),
	)
	for start := 0; start < len(rows); start += RowGroupRows {
		end := min(start+RowGroupRows, len(rows))
		if _, err := w.Write(rows[start:end]); err != nil {
			return fmt.Errorf("write parquet rows: %w", err)
		}
		if err := w.Flush(); err != nil {
			return fmt.Errorf("flush parquet row group: %w", err)
		}
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("close parquet: %w", err)
	}
	return writeFileAtomic(path, buf.Bytes())
}

// ReadRows reads an epoch's Parquet file of accepted events.
func ReadRows(path string) ([]Row, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read accepted events: %w", err)
	}
	rows, err := parquet.Read[Row](bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, fmt.Errorf("decode accepted events %s: %w", path, err)
	}
	return rows, nil
}

// RowGroups returns the row counts of a Parquet file's row groups.
func RowGroups(path string) ([]int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open parquet: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat parquet: %w", err)
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("open parquet: %w", err)
	}
	var out []int64
	for _, rg := range pf.RowGroups() {
		out = append(out, rg.NumRows())
	}
	return out, nil
}

func writeFileAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
