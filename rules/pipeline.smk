# One rule per stage; each calls one function of evaluation.pipeline.


rule ingest:
    input:
        study_exports,
    output:
        responses="data/processed/{study}/responses.parquet",
        flow="data/processed/{study}/flow.csv",
        issues="data/processed/{study}/data_issues.csv",
    params:
        settings=study_settings,
    log:
        "logs/{study}/ingest.log",
    run:
        with pipeline.stage_log(log[0], "ingest") as logger:
            pipeline.run_ingest(STUDIES[wildcards.study], dict(output.items()), logger)


rule score:
    input:
        "data/processed/{study}/responses.parquet",
    output:
        scores="data/processed/{study}/scores.parquet",
        reliability="data/processed/{study}/reliability.csv",
    params:
        settings=study_settings,
    log:
        "logs/{study}/score.log",
    run:
        with pipeline.stage_log(log[0], "score") as logger:
            pipeline.run_score(STUDIES[wildcards.study], input[0], dict(output.items()), logger)


rule analyse:
    input:
        "data/processed/{study}/scores.parquet",
    output:
        pairs="data/processed/{study}/pairs.parquet",
        results="data/processed/{study}/results.csv",
    params:
        settings=study_settings,
    log:
        "logs/{study}/analyse.log",
    run:
        with pipeline.stage_log(log[0], "analyse") as logger:
            pipeline.run_analyse(STUDIES[wildcards.study], input[0], dict(output.items()), logger)


rule tables:
    input:
        results="data/processed/{study}/results.csv",
        reliability="data/processed/{study}/reliability.csv",
        flow="data/processed/{study}/flow.csv",
        responses="data/processed/{study}/responses.parquet",
        issues="data/processed/{study}/data_issues.csv",
    output:
        results="reports/{study}/tables/results.csv",
        reliability="reports/{study}/tables/reliability.csv",
        flow="reports/{study}/tables/participant_flow.csv",
        issues="reports/{study}/data_issues.csv",
    params:
        settings=study_settings,
    log:
        "logs/{study}/tables.log",
    run:
        with pipeline.stage_log(log[0], "tables") as logger:
            pipeline.run_tables(STUDIES[wildcards.study], dict(input.items()), dict(output.items()), logger)


rule figures:
    # A process of its own: drawing is pure Python and would hold the GIL of the
    # Snakemake process that runs the other rules as threads.
    input:
        results="reports/{study}/tables/results.csv",
        flow="reports/{study}/tables/participant_flow.csv",
        pairs="data/processed/{study}/pairs.parquet",
    output:
        directory("reports/{study}/figures"),
    params:
        settings=study_settings,
        python=sys.executable,
    log:
        "logs/{study}/figures.log",
    shell:
        "{params.python:q} -m evaluation figures --study {wildcards.study:q} --settings {params.settings:q}"
        " --results {input.results:q} --flow {input.flow:q} --pairs {input.pairs:q}"
        " --out {output:q} --log {log:q}"


rule report:
    input:
        results="reports/{study}/tables/results.csv",
        reliability="reports/{study}/tables/reliability.csv",
        flow="reports/{study}/tables/participant_flow.csv",
        issues="reports/{study}/data_issues.csv",
        scores="data/processed/{study}/scores.parquet",
        figures="reports/{study}/figures",
    output:
        "reports/{study}/report.html",
    params:
        settings=study_settings,
    log:
        "logs/{study}/report.log",
    run:
        with pipeline.stage_log(log[0], "report") as logger:
            pipeline.run_report(STUDIES[wildcards.study], dict(input.items()), output[0], logger)
