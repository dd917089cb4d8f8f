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


def _rows(table: MilestoneTable, group_style: str) -> list[str]:
    """The table's rows: a group row across the three columns in ``group_style``."""
    out = []
    for row in table.rows:
        if not hasattr(row, "ids"):
            out.append(rf"\multicolumn{{3}}{{@{{}}l}}{{{group_style}{{{escape(row.name)}}}}} \\")
            continue
        ids, title, note, due = milestone_cells(row)
        out.append(rf"{escape(ids)} & {escape(title)} \emph{{{escape(note)}}} & {due} \\")
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
    out += _rows(table, r"\textbf")
    out.append(r"\end{longtable}")
    return out


# A second author's habits: A4, TeX Gyre Termes 10pt, unnumbered starred sections
# (\section* and so on, the deepest a \subsubsection* in italics), no running header
# (the page number alone), ragged-right text, and the milestone table as one
# ``tabularx`` (it does not break across pages) with rules only above and below.
STARRED_PREAMBLE = r"""\documentclass[10pt,a4paper]{article}
\usepackage[T1]{fontenc}
\usepackage[utf8]{inputenc}
\usepackage{tgtermes}
\usepackage[english]{babel}
\usepackage[a4paper,margin=22mm]{geometry}
\usepackage{array}
\usepackage{tabularx}
\usepackage{booktabs}
\usepackage{ragged2e}
\usepackage[colorlinks,urlcolor=blue,linkcolor=black]{hyperref}
\setlength{\parindent}{0pt}
\setlength{\parskip}{4pt}
\RaggedRight
\pagestyle{plain}
\newcommand{\deepest}[1]{\par\medskip{\normalsize\itshape #1}\par\nopagebreak}
\begin{document}
"""
STARRED = {1: "section*", 2: "subsection*", 3: "subsubsection*"}


def _tabularx(table: MilestoneTable) -> list[str]:
    head = " & ".join(rf"\textbf{{{escape(column)}}}" for column in table.columns)
    out = [
        r"{\small",
        r"\begin{tabularx}{\linewidth}{@{}>{\RaggedRight\arraybackslash}p{0.2\linewidth}"
        r">{\RaggedRight\arraybackslash}X>{\RaggedRight\arraybackslash}p{0.12\linewidth}@{}}",
        r"\toprule",
        rf"{head} \\",
        r"\midrule",
    ]
    out += _rows(table, r"\textit")
    out += [r"\bottomrule", r"\end{tabularx}}", ""]
    return out


def render_starred(doc) -> str:
    """The report as a second pdfLaTeX document (see STARRED_PREAMBLE)."""
    body = [
        r"\begin{flushleft}",
        rf"{{\Large\bfseries {escape(doc.title)}\par}}\vspace{{4pt}}",
        rf"{{\large\itshape {escape(doc.month)}\par}}",
        r"\end{flushleft}",
    ]
    for block in blocks(doc):
        if isinstance(block, NumberedHeading):
            text = escape(block.text)
            if block.level in STARRED:
                body.append(rf"\{STARRED[block.level]}{{{text}}}")
            else:
                body.append(rf"\deepest{{{text}}}")
        elif isinstance(block, Paragraph):
            body += [_runs(block.runs), ""]
        elif isinstance(block, ItemList):
            body += _items(block.items)
        else:
            body += _tabularx(block)
    return STARRED_PREAMBLE + "\n".join(body) + "\n\\end{document}\n"


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
