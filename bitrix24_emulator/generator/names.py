"""Russian first/last names (Cyrillic as on a real portal, Latin for e-mail addresses)."""

from __future__ import annotations

MALE_FIRST = (
    ("Александр", "alexander"),
    ("Дмитрий", "dmitry"),
    ("Максим", "maxim"),
    ("Сергей", "sergey"),
    ("Андрей", "andrey"),
    ("Алексей", "alexey"),
    ("Артём", "artem"),
    ("Илья", "ilya"),
    ("Кирилл", "kirill"),
    ("Михаил", "mikhail"),
    ("Никита", "nikita"),
    ("Иван", "ivan"),
)
FEMALE_FIRST = (
    ("Анна", "anna"),
    ("Мария", "maria"),
    ("Елена", "elena"),
    ("Ольга", "olga"),
    ("Наталья", "natalia"),
    ("Татьяна", "tatiana"),
    ("Екатерина", "ekaterina"),
    ("Ирина", "irina"),
    ("Светлана", "svetlana"),
    ("Юлия", "yulia"),
    ("Дарья", "daria"),
    ("Ксения", "ksenia"),
)
# (male form, female form, latin)
LAST = (
    ("Иванов", "Иванова", "ivanov"),
    ("Смирнов", "Смирнова", "smirnov"),
    ("Кузнецов", "Кузнецова", "kuznetsov"),
    ("Попов", "Попова", "popov"),
    ("Васильев", "Васильева", "vasiliev"),
    ("Петров", "Петрова", "petrov"),
    ("Соколов", "Соколова", "sokolov"),
    ("Михайлов", "Михайлова", "mikhailov"),
    ("Новиков", "Новикова", "novikov"),
    ("Фёдоров", "Фёдорова", "fedorov"),
    ("Морозов", "Морозова", "morozov"),
    ("Волков", "Волкова", "volkov"),
    ("Алексеев", "Алексеева", "alekseev"),
    ("Лебедев", "Лебедева", "lebedev"),
    ("Семёнов", "Семёнова", "semenov"),
    ("Егоров", "Егорова", "egorov"),
    ("Павлов", "Павлова", "pavlov"),
    ("Козлов", "Козлова", "kozlov"),
)
