package events

import (
	"encoding/json"
	"time"
)

// JobEvent is the body of job_added, job_activated, job_deactivated and
// job_deleted.
type JobEvent struct {
	Event     string    `json:"event"`
	Timestamp time.Time `json:"timestamp"`
	Company   Company   `json:"company"`
	Job       Job       `json:"job"`
}

// ApplicantEvent is the body of applicant_applied and cv_upload_completed.
// In these events Job carries only ID and Title.
type ApplicantEvent struct {
	Event     string    `json:"event"`
	Timestamp time.Time `json:"timestamp"`
	Company   Company   `json:"company"`
	Job       Job       `json:"job"`
	Applicant Applicant `json:"applicant"`
}

// MeetingEvent is the body of meeting_booked. Job (ID and Title) and
// Applicant (ID, Name and Email) are optional in it, hence pointers.
type MeetingEvent struct {
	Event     string     `json:"event"`
	Timestamp time.Time  `json:"timestamp"`
	Company   Company    `json:"company"`
	Job       *Job       `json:"job,omitempty"`
	Applicant *Applicant `json:"applicant,omitempty"`
	Meeting   Meeting    `json:"meeting"`
}

// Company is the hiring workspace.
type Company struct {
	ID string `json:"id"`
	// Name is the company's name in every published event.
	Name string `json:"name,omitempty"`
	// Company is how applicant events spell the name; it stays as sent.
	Company string `json:"company,omitempty"`
}

// Job is a job posting. Events other than job_* carry only ID and Title.
type Job struct {
	ID             string `json:"id"`
	Title          string `json:"title,omitempty"`
	Department     string `json:"department,omitempty"`
	JobCountry     string `json:"job_country,omitempty"`
	CareerLevel    string `json:"career_level,omitempty"`
	SalaryRange    string `json:"salary_range,omitempty"`
	SalaryPeriod   string `json:"salary_period,omitempty"`
	SalaryCurrency string `json:"salary_currency,omitempty"`
	// HideSalary is nil when the sender did not say.
	HideSalary     *bool    `json:"hide_salary,omitempty"`
	JobType        string   `json:"job_type,omitempty"`
	WorkplaceType  string   `json:"workplace_type,omitempty"`
	JobDescription string   `json:"job_description,omitempty"`
	Sources        []string `json:"sources,omitempty"`
}

// Applicant is a candidate for a job. It carries personal data: names,
// contacts, CV and photo links, and an AI evaluation of the person.
type Applicant struct {
	ID                string            `json:"id"`
	Name              string            `json:"name,omitempty"`
	Email             string            `json:"email,omitempty"`
	Phone             string            `json:"phone,omitempty"`
	LinkedInURL       string            `json:"linkedin_url,omitempty"`
	CVURL             string            `json:"cv_url,omitempty"`
	Photo             string            `json:"photo,omitempty"`
	Source            string            `json:"source,omitempty"`
	Nationality       string            `json:"nationality,omitempty"`
	Location          string            `json:"location,omitempty"`
	City              string            `json:"city,omitempty"`
	YearsOfExperience json.Number       `json:"years_of_experience,omitempty"`
	SpokenLanguages   []SpokenLanguage  `json:"spoken_languages,omitempty"`
	AIEvaluation      *AIEvaluation     `json:"ai_evaluation,omitempty"`
	SpecialQuestions  []SpecialQuestion `json:"special_questions,omitempty"`
	MediaQuestions    *MediaQuestions   `json:"media_questions,omitempty"`
}

// SpokenLanguage is one language an applicant speaks.
type SpokenLanguage struct {
	Language string `json:"language,omitempty"`
	Fluency  string `json:"fluency,omitempty"`
}

// AIEvaluation is Hirempire's automated assessment of an applicant.
type AIEvaluation struct {
	Score           json.Number `json:"score,omitempty"`
	SkillMatch      string      `json:"skill_match,omitempty"`
	ExperienceMatch string      `json:"experience_match,omitempty"`
	LocationMatch   string      `json:"location_match,omitempty"`
	Decision        string      `json:"decision,omitempty"`
	DecisionReason  string      `json:"decision_reason,omitempty"`
	// LinkedInMatch is nil when no LinkedIn profile was compared.
	LinkedInMatch       *bool       `json:"linkedin_match,omitempty"`
	LinkedInMatchScore  json.Number `json:"linkedin_match_score,omitempty"`
	LinkedInDifferences string      `json:"linkedin_differences,omitempty"`
}

// SpecialQuestion is a question of the job's application form, answered.
type SpecialQuestion struct {
	Question string `json:"question,omitempty"`
	Answer   string `json:"answer,omitempty"`
}

// MediaQuestions links an applicant's recorded answers, when there are any.
type MediaQuestions struct {
	AudioURL string `json:"audio_url,omitempty"`
	VideoURL string `json:"video_url,omitempty"`
}

// Meeting is an interview or call booked through Hirempire.
type Meeting struct {
	ID string `json:"id"`
	// ScheduledAt is nil when the sender left it null or out.
	ScheduledAt     *time.Time  `json:"scheduled_at,omitempty"`
	DurationMinutes json.Number `json:"duration_minutes,omitempty"`
	MeetingType     string      `json:"meeting_type,omitempty"`
	MeetingLink     string      `json:"meeting_link,omitempty"`
	Organizer       *Organizer  `json:"organizer,omitempty"`
}

// Organizer is who booked a meeting.
type Organizer struct {
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
}
