package dev.jktstr.cli.report;

import dev.jktstr.cli.JsonTree;
import static dev.jktstr.cli.report.Html.text;

import java.util.List;

/**
 * The whole self-contained page: styles, Chart.js inlined, the matrix, each run's section, and the script that draws
 * the charts. The script keeps score for tests and for a person: {@code #jktstr-status} carries how many charts were
 * expected and drew (a canvas counts as drawn when it has painted pixels) and how many script errors happened;
 * {@code body[data-jktstr-errors]} too.
 */
final class ReportPage {
    private ReportPage() {
    }

    static String html(ReportInput in, String title) {
        StringBuilder b = new StringBuilder(1 << 20);
        b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>").append(text(title))
                .append("</title>\n<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; ")
                .append("script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">\n<style>")
                .append(CSS).append("</style>\n<script>").append(ERROR_COUNTER).append("</script>\n<script>")
                .append(ChartLibrary.source()).append("</script>\n</head>\n<body>\n<h1>").append(text(title)).append("</h1>\n");
        b.append("<p class=\"summary\">").append(text(in.runs().size() + " runs: " + MatrixGrid.summary(in.runs())));
        if (!in.indexMeta().isEmpty()) {
            b.append(" · index: jktstr ").append(text(JsonTree.str(in.indexMeta(), "jktstr"))).append(", created ")
                    .append(text(JsonTree.str(in.indexMeta(), "created")));
            Object shard = in.indexMeta().get("shard");
            if (shard != null) {
                b.append(", shard ").append(text(JsonTree.str(shard, "index"))).append('/').append(text(JsonTree.str(shard, "count")));
            }
        } else {
            b.append(" · no index.json: runs found by scanning the directory");
        }
        b.append("</p>\n<div id=\"jktstr-status\" data-errors=\"\" data-charts=\"\" data-charts-expected=\"\"></div>\n");
        if (!in.warnings().isEmpty()) {
            b.append("<div class=\"warnings\"><h2>Files not used</h2><ul>\n");
            for (String w : in.warnings()) {
                b.append("<li>").append(text(w)).append("</li>\n");
            }
            b.append("</ul></div>\n");
        }
        b.append("<h2>Matrix</h2>\n").append(MatrixGrid.html(in.runs()));
        int[] charts = {0};
        List<ReportRun> runs = in.runs();
        for (int i = 0; i < runs.size(); i++) {
            b.append(RunSection.html(i, runs.get(i), charts));
        }
        b.append("<script>").append(RENDER).append("</script>\n</body></html>\n");
        return b.toString();
    }

    private static final String CSS = """
            body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
            h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em}h3{font-size:1.05em;margin:1em 0 .3em}
            table{border-collapse:collapse;margin:.3em 0}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top}
            .num{text-align:right}.detail{font-size:12px;max-width:60em}
            .matrix td{min-width:6em;text-align:center}.matrix a{color:inherit;font-weight:600}
            .o-PASS{background:#c8efc8}.o-FAIL{background:#f7b9b9}.o-INCONCLUSIVE{background:#fbe3a4}
            .o-SKIP{background:#e4e4e4}.o-ERROR{background:#d9c2f0}.empty{background:#fff}
            .badge{padding:1px 6px;border-radius:3px}
            section.run{border-top:2px solid #888;margin-top:2em}
            .failure{border-left:4px solid #d33;padding-left:.8em}.warnings{border-left:4px solid #e90;padding-left:.8em}
            pre{white-space:pre-wrap;background:#f6f6f6;padding:.4em;max-height:30em;overflow:auto}
            .charts{display:flex;flex-wrap:wrap;gap:1em}figure{margin:0}figcaption{font-weight:600;font-size:13px}
            .none{color:#777}
            """;

    /** First script in the page: counts every script error, including Chart.js's own. */
    private static final String ERROR_COUNTER = """
            window.jktstrErrors=[];
            window.addEventListener('error',function(e){window.jktstrErrors.push(String(e.message||e));});
            """;

    /** Draws each canvas from its run's data; marks it drawn when pixels were painted; publishes the counts. */
    private static final String RENDER = """
            (function(){
              var canvases=document.querySelectorAll('canvas[data-chart]'), drawn=0, cache={};
              function data(id){ if(!(id in cache)){ cache[id]=JSON.parse(document.getElementById(id).textContent); } return cache[id]; }
              function painted(c){ var x=c.getContext('2d').getImageData(0,0,c.width,c.height).data;
                for(var i=3;i<x.length;i+=4){ if(x[i]!==0){ return true; } } return false; }
              canvases.forEach(function(c){
                try{
                  var d=data(c.dataset.src)[c.dataset.chart], line=c.dataset.type==='line';
                  var cfg={type:c.dataset.type,
                    data: line ? {datasets:d.map(function(s){return {label:s.label,data:s.data,pointRadius:1.5,borderWidth:1.5,spanGaps:false};})}
                               : {labels:d.labels,datasets:d.datasets},
                    options:{animation:false,responsive:false,parsing:line?false:undefined,normalized:true,
                      scales:{x: line ? {type:'linear',title:{display:true,text:'seconds since the run started'}} : {ticks:{autoSkip:true}},
                              y:{beginAtZero:true,title:{display:true,text:c.dataset.ytitle}}},
                      plugins:{legend:{display:true,position:'bottom'}}}};
                  new Chart(c,cfg);
                  if(painted(c)){ c.dataset.drawn='true'; drawn++; }
                }catch(e){ window.jktstrErrors.push('chart '+c.dataset.src+'/'+c.dataset.chart+': '+e); }
              });
              var st=document.getElementById('jktstr-status');
              st.dataset.errors=String(window.jktstrErrors.length);
              st.dataset.charts=String(drawn);
              st.dataset.chartsExpected=String(canvases.length);
              st.textContent=drawn+' of '+canvases.length+' charts drawn'+(window.jktstrErrors.length?'; script errors: '+window.jktstrErrors.join(' | '):'');
              document.body.dataset.jktstrErrors=String(window.jktstrErrors.length);
            })();
            """;
}
