# One rule per stage; each calls evaluation.pipeline.run_stage, which runs the
# stage's function with its inputs, outputs and log file. Named inputs and
# outputs are the keys the stage functions read.


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
        pipeline.run_stage("ingest", STUDIES[wildcards.study], input, output, log[0])


rule score:
    input:
        responses="data/processed/{study}/responses.parquet",
    output:
        scores="data/processed/{study}/scores.parquet",
        reliability="data/processed/{study}/reliability.csv",
    params:
        settings=study_settings,
    log:
        "logs/{study}/score.log",
    run:
        pipeline.run_stage("score", STUDIES[wildcards.study], input, output, log[0])


rule analyse:
    input:
        scores="data/processed/{study}/scores.parquet",
    output:
        pairs="data/processed/{study}/pairs.parquet",
        results="data/processed/{study}/results.csv",
    params:
        settings=study_settings,
    log:
        "logs/{study}/analyse.log",
    run:
        pipeline.run_stage("analyse", STUDIES[wildcards.study], input, output, log[0])


rule tables:
    input:
        results="data/processed/{study}/results.csv",
        reliability="data/processed/{study}/reliability.csv",
        flow="data/processed/{study}/flow.csv",
        responses="data/processed/{study}/responses.parquet",
        issues="data/processed/{study}/data_issues.csv",
        scores="data/processed/{study}/scores.parquet",
    output:
        results="reports/{study}/tables/results.csv",
        reliability="reports/{study}/tables/reliability.csv",
        flow="reports/{study}/tables/participant_flow.csv",
        issues="reports/{study}/data_issues.csv",
        bands="reports/{study}/tables/band_shares.csv",
    params:
        settings=study_settings,
    log:
        "logs/{study}/tables.log",
    run:
        pipeline.run_stage("tables", STUDIES[wildcards.study], input, output, log[0])


rule figures:
    # A process of its own: drawing is pure Python and would hold the GIL of the
    # Snakemake process that runs the other rules as threads.
    input:
        results="reports/{study}/tables/results.csv",
        flow="reports/{study}/tables/participant_flow.csv",
        bands="reports/{study}/tables/band_shares.csv",
        pairs="data/processed/{study}/pairs.parquet",
    output:
        figures=directory("reports/{study}/figures"),
    params:
        settings=study_settings,
        python=sys.executable,
    log:
        "logs/{study}/figures.log",
    shell:
        "{params.python:q} -m evaluation figures --study {wildcards.study:q} --settings {params.settings:q}"
        " --results {input.results:q} --flow {input.flow:q} --pairs {input.pairs:q} --bands {input.bands:q}"
        " --out {output.figures:q} --log {log:q}"


rule report:
    input:
        results="reports/{study}/tables/results.csv",
        reliability="reports/{study}/tables/reliability.csv",
        flow="reports/{study}/tables/participant_flow.csv",
        issues="reports/{study}/data_issues.csv",
        bands="reports/{study}/tables/band_shares.csv",
        scores="data/processed/{study}/scores.parquet",
        figures="reports/{study}/figures",
    output:
        html="reports/{study}/report.html",
        docx="reports/{study}/report.docx",
        xlsx="reports/{study}/tables.xlsx",
    params:
        settings=study_settings,
    log:
        "logs/{study}/report.log",
    run:
        pipeline.run_stage("report", STUDIES[wildcards.study], input, output, log[0])
