# One rule per stage; each calls evaluation.stages.run_stage, which runs the
# stage's function with its inputs, outputs and log file. Named inputs and
# outputs are the keys the stage functions read.


rule id_key:
    # The pseudonymization key (unless EVALUATION_ID_KEY gives it): created once,
    # atomically, readable by its owner only, and never rewritten.
    output:
        protected("data/processed/.id_key"),
    log:
        "logs/id_key.log",
    run:
        stages.create_id_key(output[0], log[0])


rule ingest:
    input:
        exports=study_exports,
        key=id_key_file,
    output:
        responses="data/processed/{study}/responses.parquet",
        flow="data/processed/{study}/flow.csv",
        issues="data/processed/{study}/data_issues.csv",
        inputs="data/processed/{study}/inputs.json",
        people="data/processed/{study}/people.parquet",
        costs="data/processed/{study}/cost_items.parquet",
        fidelity="data/processed/{study}/fidelity.parquet",
    params:
        settings=settings_of("ingest"),
        content=exports_sha256,
    priority: study_priority
    resources:
        mem_mb=memory(20),
    log:
        "logs/{study}/ingest.log",
    run:
        jobs.run("ingest", STUDIES[wildcards.study], input, output, log[0])


rule score:
    input:
        responses="data/processed/{study}/responses.parquet",
    output:
        scores="data/processed/{study}/scores.parquet",
        counts="data/processed/{study}/scoring_counts.csv",
    params:
        settings=settings_of("score"),
    priority: study_priority
    resources:
        mem_mb=memory(20),
    log:
        "logs/{study}/score.log",
    run:
        jobs.run("score", STUDIES[wildcards.study], input, output, log[0])


rule analyse:
    # Every analysis of evaluation.analyses computes its full table here
    # (data/processed/{study}/<name>.csv); adding an analysis adds a file, not a rule.
    input:
        scores="data/processed/{study}/scores.parquet",
        responses="data/processed/{study}/responses.parquet",
        flow="data/processed/{study}/flow.csv",
        people="data/processed/{study}/people.parquet",
        costs="data/processed/{study}/cost_items.parquet",
        fidelity="data/processed/{study}/fidelity.parquet",
    output:
        analyses=expand("data/processed/{{study}}/{name}.csv", name=stages.analysis_names()),
        persons=expand("data/processed/{{study}}/{name}_persons.parquet", name=stages.person_tables()),
        pairs="data/processed/{study}/pairs.parquet",
        validity="data/processed/{study}/validity.parquet",
        band_pairs="data/processed/{study}/band_pairs.parquet",
    params:
        settings=settings_of("analyse"),
    priority: study_priority
    resources:
        mem_mb=memory(30),
    log:
        "logs/{study}/analyse.log",
    run:
        jobs.run("analyse", STUDIES[wildcards.study], input, output, log[0])


rule reproduce:
    # The reviewer's R kit (evaluation.reproduce; never published), from the complete
    # pairs alone: a job of its own, on the other core while the tables are protected.
    input:
        pairs="data/processed/{study}/pairs.parquet",
    output:
        kit=directory("data/processed/{study}/reproduce"),
    params:
        settings=settings_of("reproduce"),
    priority: study_priority
    resources:
        mem_mb=memory(10),
    log:
        "logs/{study}/reproduce.log",
    run:
        jobs.run("reproduce", STUDIES[wildcards.study], input, output, log[0])


rule tables:
    # Every published table of the study, protected together (disclosure.py).
    # Published files are built in data/processed/{study}/publication/ and reach
    # reports/{study}/ only through the publish rule, as a whole.
    input:
        analyses=expand("data/processed/{{study}}/{name}.csv", name=stages.analysis_names()),
        persons=expand("data/processed/{{study}}/{name}_persons.parquet", name=stages.person_tables()),
        flow="data/processed/{study}/flow.csv",
        people="data/processed/{study}/people.parquet",
        issues="data/processed/{study}/data_issues.csv",
        scores="data/processed/{study}/scores.parquet",
        validity="data/processed/{study}/validity.parquet",
        band_pairs="data/processed/{study}/band_pairs.parquet",
    output:
        tables=expand("data/processed/{{study}}/publication/{path}", path=stages.published_tables()),
        disclosure="data/processed/{study}/disclosure.json",
    params:
        settings=settings_of("tables"),
    priority: study_priority
    resources:
        mem_mb=memory(30),
    log:
        "logs/{study}/tables.log",
    run:
        jobs.run("tables", STUDIES[wildcards.study], input, output, log[0])


rule report:
    # The figures, drawn from the published tables only by two forked processes while
    # the report's text and workbook are written, then the HTML and Word report that
    # embed them. Published files reach reports/{study}/ only through publish.
    input:
        tables=expand("data/processed/{{study}}/publication/{path}", path=stages.published_tables()),
        disclosure="data/processed/{study}/disclosure.json",
        counts="data/processed/{study}/scoring_counts.csv",
        inputs="data/processed/{study}/inputs.json",
    output:
        figures=directory("data/processed/{study}/publication/figures"),
        html="data/processed/{study}/publication/report.html",
        docx="data/processed/{study}/publication/report.docx",
        xlsx="data/processed/{study}/publication/tables.xlsx",
    params:
        settings=settings_of("report"),
        publication=lambda wildcards: f"data/processed/{wildcards.study}/publication",
    priority: study_priority
    resources:
        mem_mb=memory(10),
    log:
        "logs/{study}/report.log",
    run:
        jobs.run("report", STUDIES[wildcards.study], dict(input.items(), publication=params.publication),
                         output, log[0])


rule publish:
    # reports/{study}/ is replaced as a whole by one rename, or left as it was.
    input:
        publication_files,
    output:
        "reports/.{study}.published",
    priority: study_priority
    resources:
        mem_mb=memory(2),
    log:
        "logs/{study}/publish.log",
    run:
        jobs.run("publish", STUDIES[wildcards.study], input, output, log[0])
