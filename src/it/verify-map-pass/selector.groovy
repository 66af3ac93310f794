return evaluate(new File(basedir, '../shared-data.groovy'))
