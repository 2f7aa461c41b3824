"""The report's style sheet: inline CSS, nothing loaded from outside.

Text from the inputs (names, notes, reasons, hashes) may be long and have no spaces (Chinese
runs none): every block of text wraps anywhere rather than running past the right edge, in print
as on screen, and no column has a fixed width that would clip it.
"""

from __future__ import annotations

CSS = """

:root{--ink:#111827;--text:#1f2937;--muted:#6b7280;--line:#e5e7eb;--soft:#f8fafc}*{box-sizing:border-box}
html{-webkit-print-color-adjust:exact;print-color-adjust:exact}body{margin:0;background:#fff;color:var(--text);
font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans",
"Liberation Sans",sans-serif}main{max-width:1120px;margin:0 auto;padding:32px 40px 56px}
header{border-bottom:2px solid var(--ink);padding-bottom:14px}
.kicker{text-transform:uppercase;letter-spacing:.08em;font-size:11px;color:var(--muted);font-weight:600}
h1{font-size:28px;line-height:1.2;margin:2px 0 6px;color:var(--ink)}
h2{font-size:19px;margin:40px 0 12px;padding-bottom:6px;border-bottom:1px solid var(--line);color:var(--ink)}
h3{font-size:15px;margin:22px 0 8px;color:var(--ink)}p{margin:6px 0}.muted,.sub{color:var(--muted)}
code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--soft);padding:0 3px;
border-radius:3px}.stats{display:flex;gap:12px;margin:18px 0 4px}
.stat{flex:1;border:1px solid var(--line);border-radius:8px;padding:10px 14px;background:var(--soft)}
.stat b{display:block;font-size:22px;color:var(--ink);font-variant-numeric:tabular-nums}
.stat span{color:var(--muted);font-size:11px;text-transform:uppercase;letter-spacing:.06em}
dl.prov{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;font-size:12px;margin:12px 0 0}
dl.prov dt{color:var(--muted)}dl.prov dd{margin:0}
nav ol{display:flex;flex-wrap:wrap;gap:4px 18px;list-style:none;padding:0;margin:14px 0 0;font-size:13px}
a{color:#1d4ed8;text-decoration:none}ul.variants{margin:6px 0;padding-left:18px}ul.variants li{margin:2px 0}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;margin:4px 0 8px}
caption{text-align:left;font-weight:600;color:var(--ink);padding:2px 0 6px}
th,td{padding:4px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:middle}
thead th{font-size:11px;color:var(--muted);font-weight:600;text-transform:uppercase;letter-spacing:.04em;
border-bottom:1.5px solid #9ca3af;white-space:nowrap}.n{text-align:right}td.nil{color:#9ca3af}
tr.first td,tr.first th{border-top:1.5px solid #9ca3af}tr.extra td{color:var(--muted);background:var(--soft)}
table.summary{width:100%;font-size:12.5px}table.summary td{padding:3px 7px;white-space:nowrap}
table.summary td[data-col=note],table.summary td.wrap{white-space:normal;overflow-wrap:anywhere;min-width:170px}table.summary thead th{white-space:normal;padding:4px 7px}
td.rep{color:#9ca3af}table.quotas td,table.quotas th{padding:3px 6px}th.var{text-transform:none;font-size:12px;color:var(--ink)}
.meter{display:inline-block;width:90px;height:8px;background:var(--line);border-radius:4px;overflow:hidden;
vertical-align:middle;margin-right:6px}.meter span{display:block;height:100%;background:#0072B2}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(330px,1fr));gap:18px 32px;align-items:start}
figure{margin:0;break-inside:avoid}figcaption{font-weight:600;color:var(--ink);margin-bottom:4px}
.scroll{overflow-x:auto}svg{display:block;max-width:100%;height:auto}svg text{font-size:11px;fill:#374151}
svg text.v,svg text.ax{fill:#6b7280;font-size:10px}svg text.lad{font-weight:600;fill:#111827}
td svg{display:inline-block;vertical-align:middle}
.legend{list-style:none;padding:0;margin:2px 0 8px;display:flex;flex-wrap:wrap;gap:4px 16px;font-size:12px;
color:var(--muted)}
.sw{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:6px;vertical-align:-1px}
table.matrix td{text-align:center;min-width:36px;padding:3px 6px;border:1px solid #fff}table.matrix td.z{color:#cbd5e1}
table.dense td,table.dense th{min-width:0;padding:2px 3px;font-size:11px}table.dense thead th{font-size:10px}
table.matrix td.diag{box-shadow:inset 0 0 0 2px #111827}table.matrix th[scope=row]{white-space:nowrap}
.notes{color:#92400e;background:#fffbeb;border-left:3px solid #f59e0b;padding:6px 10px;margin:8px 0;font-size:13px}
p,li,dd,caption,h1,h2,h3,.notes,footer{overflow-wrap:anywhere}
footer{margin-top:48px;padding-top:10px;border-top:1px solid var(--line);color:var(--muted);font-size:12px}
@media print{main{max-width:none;padding:0}h2{break-after:avoid}nav{display:none}.scroll{overflow:visible}
table.summary{font-size:9px}table.summary td,table.summary th{white-space:normal;overflow-wrap:anywhere;padding:2px 3px}
section.product,table.matrix{break-inside:avoid-page}}
@page{size:A4;margin:14mm}
ul.alerts{color:#7f1d1d;background:#fef2f2;border-left:3px solid #dc2626;margin:8px 0;padding:6px 10px 6px 28px;
font-size:13px}ul.alerts li{margin:2px 0}table.cartons td,table.side td{text-align:right}
table.cartons th.brand{white-space:normal;overflow-wrap:anywhere;text-transform:none;font-size:11px;color:var(--ink);
text-align:right;vertical-align:bottom}table.cartons th.brand span{display:block;color:var(--muted);font-weight:400}
table.metrics td,table.metrics th,table.side td,table.side th{padding:3px 8px}table.side th.var{text-align:right}
"""

# A Chinese report (`lang: zh`): CJK fonts first, so that Latin-first stacks do not pick a font
# without the characters and leave the browser's fallback to size them.
CJK_CSS = (
    'body{font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",'
    '"Hiragino Sans GB","WenQuanYi Micro Hei",system-ui,sans-serif}'
    ".kicker,.stat span{text-transform:none;letter-spacing:.02em}"
)
