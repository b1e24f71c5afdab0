package datasets

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Download describes a public dataset as its publisher distributes it:
// where to get it, how it is packed, and the SHA-256 of each file custnet
// keeps. The digests were computed from copies checked by hand against
// each dataset's documented counts.
type Download struct {
	Name  string
	URL   string
	Terms string // where the terms of use are stated
	// Pack is "zip" (files are taken from anywhere inside the archive by
	// base name), "gz" (one gzip'd file) or "plain".
	Pack  string
	Files map[string]string // file name → hex SHA-256
}

// Downloads lists the datasets [Fetch] knows. Stack Exchange dumps (7z)
// and the Kaggle groceries set (login) are not fetched: their READMEs say
// where to get them.
var Downloads = []Download{
	{Name: "movielens-100k", URL: "https://files.grouplens.org/datasets/movielens/ml-100k.zip", Pack: "zip",
		Terms: "GroupLens: research use, no redistribution (README in the archive)",
		Files: map[string]string{
			"u.data":  "06416e597f82b7342361e41163890c81036900f418ad91315590814211dca490",
			"u.item":  "553841ebc7de3a0fd0d6b62a204ea30c1e651aacfb2814c7a6584ac52f2c5701",
			"u.user":  "f120e114da2e8cf314fd28f99417c94ae9ddf1cb6db8ce0e4b5995d40e90e62c",
			"u.genre": "9757e0d3e6b298159a80dd48eaf938114690e911e39af97a76949ef1663610bb",
			"u1.base": "ce253ec86c448b44fb3ba9a30d12dcfc2e9210cbde71efada3730c22e9ac212a",
			"u1.test": "18c6014a4b2c7324f250a63f8904a7b16b2b19f911129e346141507b0cbac950",
			"u2.base": "6c06f0b5df4b256da1a994f3ac66edc8da4d3f09bc9282df6b14d893366d703e",
			"u2.test": "4de658d1e04ed9104629509a2e2528fce833ac8e048280183f1df167632038c3",
			"u3.base": "afdc155c291c6edc41c0407e39d7462eb98d341e064f0b0a12175b80b3c4af5d",
			"u3.test": "0f548b51c78327de4c156461d3e430b7e5579fe2b5681586a59416e48fd35f6d",
			"u4.base": "219f0f4d40dfe9c5141d425f53fa91ee23ed275f14e280bbf1b50117afb064ca",
			"u4.test": "7c02ad0a1e7ab1083c8b9d4b627203a051dd7b5eab46d99fa44de33470de8db9",
			"u5.base": "a9574e59ce961eec2121627760b6e9b0974ce1637b3fe69ac32cb14a4bfab485",
			"u5.test": "351cc52e0d15b6c721466276fc24671d40936899e3d01fadeaf312915b8c5634",
		}},
	{Name: "movielens-latest-small", URL: "https://files.grouplens.org/datasets/movielens/ml-latest-small.zip", Pack: "zip",
		Terms: "GroupLens: research use, no redistribution (README.txt in the archive)",
		Files: map[string]string{
			"ratings.csv": "80da8b3393dae325bbba5a31f291a6ba55d8d4f4396de3c456f2c1635b1b70e8",
			"movies.csv":  "c47b783f23eb304413307e1bb05335e427737da20ec8d3c0e96335567dd5f3dc",
		}},
	{Name: "filmtrust", URL: "https://guoguibing.github.io/librec/datasets/filmtrust.zip", Pack: "zip",
		Terms: "Guo, Zhang, Yorke-Smith (IJCAI 2013); cite the paper (readme.txt in the archive)",
		Files: map[string]string{
			"ratings.txt": "241167424e24d588e8871d68641e94ead98d5b3a4f0db01ef3181a74ad35e7a1",
			"trust.txt":   "8e2013750bb0fe3f4fd9810185420423a744f8b20f7888b73e10cab3b3479fde",
		}},
	{Name: "ciaodvd", URL: "https://guoguibing.github.io/librec/datasets/CiaoDVD.zip", Pack: "zip",
		Terms: "Guo et al. (ASONAM 2014); cite the paper (readme.txt in the archive)",
		Files: map[string]string{
			"movie-ratings.txt": "f29bbacaab826da85445757e2b0c45c293864dc9efc9d3cd27e604ba09a7cf6e",
			"trusts.txt":        "ac2fca9a0355eb9c7ca8d922a30363fb02824a116003590e0d893e01714765b7",
		}},
	{Name: "wiki-vote", URL: "https://snap.stanford.edu/data/wiki-Vote.txt.gz", Pack: "gz",
		Terms: "SNAP: public, cite Leskovec et al.",
		Files: map[string]string{"wiki-Vote.txt": "b05c0226f5544f0e4a8ac607ae573db42e42716b6dd5aa00e8c769a1219c796f"}},
	{Name: "cdnow", URL: "https://www.brucehardie.com/datasets/CDNOW_master.zip", Pack: "zip",
		Terms: "Fader and Hardie: for research and teaching",
		Files: map[string]string{"CDNOW_master.txt": "eff6889ed364c5199d6eacbbeb7a6d559971df4406ac876f322c373f00a072ef"}},
}

// LookupDownload returns the download called name.
func LookupDownload(name string) (Download, bool) {
	for _, d := range Downloads {
		if d.Name == name {
			return d, true
		}
	}
	return Download{}, false
}

// maxDownload bounds a download; every dataset here is far smaller.
const maxDownload = 512 << 20

// Fetch downloads d with client (nil: http.DefaultClient), unpacks it, checks
// every file against its pinned SHA-256 and moves the verified files into
// dir/d.Name. Nothing is left in dir unless every file verified: files are
// assembled in a temporary folder beside the target and renamed at the end.
func Fetch(ctx context.Context, client *http.Client, d Download, dir string) (string, error) {
	if client == nil {
		client = http.DefaultClient
	}
	target := filepath.Join(dir, d.Name)
	if _, err := os.Stat(target); err == nil {
		return "", fmt.Errorf("fetch %s: %s already exists; remove it first", d.Name, target)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.URL, nil)
	if err != nil {
		return "", fmt.Errorf("fetch %s: %w", d.Name, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("fetch %s from %s: %w", d.Name, d.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("fetch %s from %s: %s", d.Name, d.URL, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDownload+1))
	if err != nil {
		return "", fmt.Errorf("fetch %s from %s: %w", d.Name, d.URL, err)
	}
	if len(body) > maxDownload {
		return "", fmt.Errorf("fetch %s: download larger than %d MiB", d.Name, maxDownload>>20)
	}
	files, err := unpack(d, body)
	if err != nil {
		return "", fmt.Errorf("fetch %s: %w", d.Name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(dir, "."+d.Name+".tmp-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	names := make([]string, 0, len(d.Files))
	for name := range d.Files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		data, ok := files[name]
		if !ok {
			return "", fmt.Errorf("fetch %s: %s is not in the download", d.Name, name)
		}
		sum := sha256.Sum256(data)
		if got := hex.EncodeToString(sum[:]); got != d.Files[name] {
			return "", fmt.Errorf("fetch %s: %s has SHA-256 %s, want %s (the publisher's file changed or the download is corrupt)", d.Name, name, got, d.Files[name])
		}
		if err := os.WriteFile(filepath.Join(tmp, name), data, 0o644); err != nil {
			return "", err
		}
	}
	// Keep the publisher's README or licence beside the data.
	for name, data := range files {
		if _, ok := d.Files[name]; !ok && isTerms(name) {
			os.WriteFile(filepath.Join(tmp, name), data, 0o644)
		}
	}
	if err := os.Rename(tmp, target); err != nil {
		return "", err
	}
	return target, nil
}

func isTerms(name string) bool {
	n := strings.ToLower(name)
	return strings.HasPrefix(n, "readme") || strings.HasPrefix(n, "license") || strings.HasPrefix(n, "licence")
}

// unpack returns the files of a download by base name.
func unpack(d Download, body []byte) (map[string][]byte, error) {
	out := map[string][]byte{}
	switch d.Pack {
	case "plain":
		for name := range d.Files {
			out[name] = body
		}
	case "gz":
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("not a gzip file: %w", err)
		}
		data, err := io.ReadAll(io.LimitReader(zr, maxDownload))
		if err != nil {
			return nil, fmt.Errorf("truncated gzip stream: %w", err)
		}
		for name := range d.Files {
			out[name] = data
		}
	case "zip":
		zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
		if err != nil {
			return nil, fmt.Errorf("not a zip file: %w", err)
		}
		for _, f := range zr.File {
			if f.FileInfo().IsDir() {
				continue
			}
			base := path.Base(f.Name)
			if _, want := d.Files[base]; !want && !isTerms(base) {
				continue
			}
			rc, err := f.Open()
			if err != nil {
				return nil, err
			}
			data, err := io.ReadAll(io.LimitReader(rc, maxDownload))
			rc.Close()
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f.Name, err)
			}
			out[base] = data
		}
	default:
		return nil, fmt.Errorf("unknown packing %q", d.Pack)
	}
	return out, nil
}
