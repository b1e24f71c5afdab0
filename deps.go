//go:build duckdb_arrow

package custnet

import (
	_ "github.com/apache/arrow-go/v18/arrow"
	_ "github.com/apache/arrow-go/v18/parquet/pqarrow"
	_ "github.com/duckdb/duckdb-go/v2"
	_ "github.com/go-echarts/go-echarts/v2/charts"
	_ "github.com/spf13/cobra"
	_ "github.com/vbauerster/mpb/v8"
	_ "go.yaml.in/yaml/v3"
	_ "gonum.org/v1/gonum/graph/simple"
	_ "gonum.org/v1/gonum/mat"
)
