package reports

import (
	"html/template"
	"strings"
)

// pageCSS uses system fonts only and no url(), so the page loads nothing.
const pageCSS = `
:root{color-scheme:light}
body{font-family:` + fontStack + `;margin:0;color:#1d2630;background:#fff;line-height:1.45}
main{max-width:1100px;margin:0 auto;padding:0 20px 40px}
header{border-bottom:1px solid #d8dde3;margin-bottom:12px}
h1{font-size:1.7em;margin:24px 0 4px}
h2{font-size:1.35em;margin:36px 0 8px;padding-top:8px;border-top:2px solid #4e79a7}
h3{font-size:1.1em;margin:22px 0 6px}
.meta{color:#56606b;margin:0 0 12px;font-size:.92em}
nav ol{margin:6px 0 0;padding-left:20px;columns:2}
.missing{background:#f6f7f9;border-left:4px solid #bab0ac;padding:10px 14px;color:#3b4651}
figure{margin:14px 0 22px}
.chart{width:100%;min-width:280px}
.reading{margin:4px 0 4px;color:#3b4651;font-size:.93em}
details{margin:4px 0 8px}
summary{cursor:pointer;color:#4e79a7}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:8px 20px}
.scroll{max-height:420px;overflow:auto;border:1px solid #e3e7eb;width:fit-content;max-width:100%}
table{border-collapse:collapse;font-size:.9em;margin:6px 0}
th,td{padding:3px 8px;border-bottom:1px solid #e3e7eb;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#f3f5f7;position:sticky;top:0}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;overflow-wrap:normal;white-space:nowrap}
table.sortable th{cursor:pointer;user-select:none}
table.sortable th[aria-sort=ascending]::after{content:" \2191"}
table.sortable th[aria-sort=descending]::after{content:" \2193"}
code{font-size:.85em;word-break:break-all}
.note{color:#56606b;font-size:.85em;margin:2px 0}
footer{margin-top:40px;color:#56606b;font-size:.85em}
`

// initJS draws the charts; each call passes a chart's DOM id and option.
const initJS = `function custnetDraw(id,o){var el=document.getElementById(id);if(!el||!window.echarts)return;var c=echarts.init(el,null,{renderer:"canvas"});c.setOption(o);window.addEventListener("resize",function(){c.resize()});}`

// sortJS makes the headers of table.sortable sort its rows on click or
// Enter: numerically when every cell of the column is a number.
const sortJS = `(function(){
function num(s){s=s.replace(/[,\s%]/g,"");return s!==""&&isFinite(s)?parseFloat(s):NaN}
document.querySelectorAll("table.sortable").forEach(function(t){
var ths=t.querySelectorAll("thead th");
ths.forEach(function(th,i){th.tabIndex=0;
function go(){var b=t.tBodies[0],rows=Array.prototype.slice.call(b.rows);
var asc=th.getAttribute("aria-sort")!=="ascending";
var allNum=rows.every(function(r){return !isNaN(num(r.cells[i].textContent))});
rows.sort(function(a,c){var x=a.cells[i].textContent,y=c.cells[i].textContent;
var d=allNum?num(x)-num(y):x.localeCompare(y);return asc?d:-d});
ths.forEach(function(h){h.removeAttribute("aria-sort")});
th.setAttribute("aria-sort",asc?"ascending":"descending");
rows.forEach(function(r){b.appendChild(r)})}
th.addEventListener("click",go);
th.addEventListener("keydown",function(e){if(e.key==="Enter")go()})})})})();`

const reportHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="custnet reports, Apache ECharts {{.Version}}">
<title>{{.Page.Title}}</title>
<style>{{.CSS}}</style>
{{if .Page.Figures}}<script>{{.ECharts}}</script>
<script>{{.Init}}</script>{{end}}
</head>
<body>
<main>
<header>
<h1>{{.Page.Heading}}</h1>
{{range .Page.Meta}}<p class="meta">{{.}}</p>
{{end}}<nav><ol>{{range .Page.Sections}}<li><a href="#{{.ID}}">{{.Heading}}</a></li>{{end}}</ol></nav>
</header>
{{range .Page.Sections}}<section id="{{.ID}}">
<h2>{{.Heading}}</h2>
{{if .Missing}}<p class="missing">{{.Missing}}</p>
{{end}}{{range .Blocks}}{{if .Heading}}<h3>{{.Heading}}</h3>
{{end}}{{if .Text}}<p>{{.Text}}</p>
{{end}}{{if .List}}<ul>{{range .List}}<li>{{.}}</li>{{end}}</ul>
{{end}}{{with .Figure}}{{template "figure" .}}{{end}}{{if .Grid}}<div class="grid">{{range .Grid}}{{template "figure" .}}{{end}}</div>
{{end}}{{with .Table}}{{template "table" .}}{{end}}{{end}}</section>
{{end}}<footer><p>Charts drawn with Apache ECharts {{.Version}} (Apache License 2.0), embedded in this file. Every chart's numbers are also in the table under it.</p></footer>
</main>
{{if .Page.Figures}}<script>
{{range .Page.Figures}}custnetDraw({{.ID}},{{.Option}});
{{end}}</script>
{{end}}<script>{{.Sort}}</script>
</body>
</html>
{{define "figure"}}<figure>
<div class="chart" id="{{.ID}}" data-chart="{{.ID}}" role="img" aria-label="{{.Title}}" style="height:{{.Height}}px"></div>
<p class="reading">{{.Reading}}</p>
<details><summary>Table</summary>{{template "table" .Table}}</details>
</figure>
{{end}}`

// reportTemplate renders a page. html/template escapes every string by
// context; only the vendored library, the init and sort scripts and the
// JSON chart options (escaped by encoding/json) are trusted as script.
var reportTemplate = template.Must(template.Must(template.New("report").Parse(reportHTML)).Parse(tableHTML))

// tableHTML renders a *table; a nil table renders nothing.
const tableHTML = `{{define "table"}}{{if .}}<div class="scroll"><table{{if .Sortable}} class="sortable"{{end}}>
<thead><tr>{{range $i, $h := .Head}}<th{{if index $.Numeric $i}} class="n"{{end}} scope="col">{{$h}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr>{{range $i, $c := .}}<td{{if index $.Numeric $i}} class="n"{{end}}>{{$c}}</td>{{end}}</tr>
{{end}}</tbody>
</table></div>{{with .Note}}<p class="note">{{.}}</p>{{end}}{{end}}{{end}}`

// reportData is what reportTemplate executes on.
type reportData struct {
	Page    *page
	Version string
	CSS     template.CSS
	ECharts template.JS
	Init    template.JS
	Sort    template.JS
}

func newReportData(p *page) reportData {
	return reportData{
		Page:    p,
		Version: echartsVersion,
		CSS:     template.CSS(strings.TrimSpace(pageCSS)),
		ECharts: echartsScript,
		Init:    template.JS(initJS),
		Sort:    template.JS(sortJS),
	}
}
