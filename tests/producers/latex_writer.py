"""LaTeX source of the report, as an author writing it in pdfLaTeX would set it.

article class, Latin Modern (T1), microtype (protrusion and font expansion),
justified text with babel's English hyphenation, fancyhdr with a running header
that follows the current section and subsection, "Page N of M" footers, hyperref
links, and the milestone table as a ``longtable`` with a repeated head and a
"Continued on next page" foot.
"""

from __future__ import annotations

from seed import ItemList, MilestoneTable, NumberedHeading, Paragraph, blocks, milestone_cells

# Report headings: top part, third-level WBS, part or table heading, deeper WBS.
SECTIONING = {1: "section", 2: "subsection", 3: "subsubsection", 4: "paragraph"}

PREAMBLE = r"""\documentclass[11pt,letterpaper]{article}
\usepackage[T1]{fontenc}
\usepackage[utf8]{inputenc}
\usepackage{lmodern}
\usepackage[english]{babel}
\usepackage[margin=1in,headheight=14pt]{geometry}
\usepackage{microtype}
\usepackage{array}
\usepackage{longtable}
\usepackage{enumitem}
\usepackage{fancyhdr}
\usepackage{lastpage}
\usepackage[hidelinks,pdfusetitle]{hyperref}
\hypersetup{pdftitle={LSST Data Management Monthly Report October 2017},
  pdfauthor={LSST Data Management}}
\setcounter{secnumdepth}{0}
\setlength{\parindent}{0pt}
\setlength{\parskip}{5pt plus 1pt}
\pagestyle{fancy}
\fancyhf{}
\renewcommand{\sectionmark}[1]{\markboth{#1}{#1}}
\renewcommand{\subsectionmark}[1]{\markright{#1}}
\fancyhead[L]{\small\itshape LSST DM Monthly Report --- October 2017}
\fancyhead[R]{\small\itshape\rightmark}
\fancyfoot[C]{\small Page \thepage\ of \pageref{LastPage}}
\fancypagestyle{plain}{\fancyhf{}\fancyfoot[C]{\small Page \thepage\ of \pageref{LastPage}}%
  \renewcommand{\headrulewidth}{0pt}}
\setlist[itemize]{itemsep=1pt,topsep=2pt}
\renewcommand{\arraystretch}{1.2}
\begin{document}
"""

SPECIALS = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def escape(text: str) -> str:
    """Text as LaTeX source (UTF-8 letters and punctuation are kept; inputenc maps them)."""
    return "".join(SPECIALS.get(char, char) for char in text)


def _url(url: str) -> str:
    return url.replace("\\", "").replace("%", r"\%").replace("#", r"\#")


def _runs(runs) -> str:
    parts = []
    for run in runs:
        if run.link and run.link == run.text:
            parts.append(rf"\url{{{_url(run.link)}}}")
            continue
        part = escape(run.text)
        if run.code:
            part = rf"\texttt{{{part}}}"
        if run.bold:
            part = rf"\textbf{{{part}}}"
        if run.italic:
            part = rf"\emph{{{part}}}"
        if run.link:
            part = rf"\href{{{_url(run.link)}}}{{{part}}}"
        parts.append(part)
    return "".join(parts)


def _items(items, depth: int = 0) -> list[str]:
    pad = "  " * depth
    out = [f"{pad}\\begin{{itemize}}"]
    for item in items:
        out.append(f"{pad}  \\item {_runs(item.runs)}")
        if item.children:
            out += _items(item.children, depth + 1)
    out.append(f"{pad}\\end{{itemize}}")
    return out


def _table(table: MilestoneTable) -> list[str]:
    head = " & ".join(rf"\textbf{{{escape(column)}}}" for column in table.columns)
    out = [
        r"\begin{longtable}{@{}>{\raggedright\arraybackslash}p{0.19\linewidth}"
        r">{\raggedright\arraybackslash}p{0.62\linewidth}"
        r">{\raggedright\arraybackslash}p{0.11\linewidth}@{}}",
        r"\hline",
        rf"{head} \\",
        r"\hline",
        r"\endfirsthead",
        r"\hline",
        rf"{head} \\",
        r"\hline",
        r"\endhead",
        r"\hline",
        r"\multicolumn{3}{r}{\emph{Continued on next page}} \\",
        r"\endfoot",
        r"\hline",
        r"\endlastfoot",
    ]
    for row in table.rows:
        if not hasattr(row, "ids"):
            out.append(rf"\multicolumn{{3}}{{@{{}}l}}{{\textbf{{{escape(row.name)}}}}} \\")
            continue
        ids, title, note, due = milestone_cells(row)
        out.append(rf"{escape(ids)} & {escape(title)} \emph{{{escape(note)}}} & {due} \\")
    out.append(r"\end{longtable}")
    return out


def render(doc) -> str:
    """The report as a pdfLaTeX document."""
    body = [
        r"\thispagestyle{plain}",
        r"\begin{center}",
        rf"{{\LARGE\bfseries {escape(doc.title)}\par}}\vspace{{6pt}}",
        rf"{{\large {escape(doc.month)}\par}}",
        r"\end{center}",
        r"\vspace{12pt}",
    ]
    for block in blocks(doc):
        if isinstance(block, NumberedHeading):
            body.append(rf"\{SECTIONING[block.level]}{{{escape(block.text)}}}")
        elif isinstance(block, Paragraph):
            body += [_runs(block.runs), ""]
        elif isinstance(block, ItemList):
            body += _items(block.items)
        else:
            body += _table(block)
    return PREAMBLE + "\n".join(body) + "\n\\end{document}\n"
